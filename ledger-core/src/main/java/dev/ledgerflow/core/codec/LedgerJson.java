package dev.ledgerflow.core.codec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapping of stored event payloads and public API objects: snake_case, ISO-8601 times,
 * nulls kept (a public object always shows every field). The domain carries no Jackson annotations;
 * the few it needs are mix-ins here.
 */
public final class LedgerJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addMixIn(CurrencyCode.class, CurrencyCodeMixin.class)
            .addMixIn(PaymentSource.class, PaymentSourceMixin.class)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .changeDefaultPropertyInclusion(v -> JsonInclude.Value.construct(JsonInclude.Include.ALWAYS, JsonInclude.Include.ALWAYS))
            .build();

    private LedgerJson() {}

    public static JsonMapper mapper() {
        return MAPPER;
    }

    abstract static class CurrencyCodeMixin {
        @JsonValue
        abstract String code();

        @JsonCreator
        static CurrencyCode of(String code) {
            return CurrencyCode.of(code);
        }
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = PaymentSource.Card.class, name = "card"),
        @JsonSubTypes.Type(value = PaymentSource.Upi.class, name = "upi"),
        @JsonSubTypes.Type(value = PaymentSource.Wallet.class, name = "account")
    })
    abstract static class PaymentSourceMixin {}
}
