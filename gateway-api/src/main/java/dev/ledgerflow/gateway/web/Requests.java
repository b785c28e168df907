package dev.ledgerflow.gateway.web;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.util.Locale;
import java.util.Map;

/** Checks of request fields that answer with the API's field problems. */
public final class Requests {

    public static final int METADATA_KEYS_MAX = 50;
    public static final int METADATA_KEY_LENGTH_MAX = 40;
    public static final int METADATA_VALUE_LENGTH_MAX = 500;
    public static final int TEXT_LENGTH_MAX = 1000;

    private Requests() {}

    public static long amount(Long amount, String field) {
        if (amount == null) {
            throw ApiException.field(ApiError.AMOUNT_INVALID, field, field + " is required.");
        }
        if (!Money.withinRequestLimits(amount)) {
            throw ApiException.field(ApiError.AMOUNT_INVALID, field,
                    field + " must be an integer number of minor units from 1 to 10^12.");
        }
        return amount;
    }

    public static CurrencyCode currency(String currency, String field) {
        if (currency == null) {
            throw ApiException.field(ApiError.CURRENCY_INVALID, field, field + " is required.");
        }
        String upper = currency.strip().toUpperCase(Locale.ROOT);
        if (!CurrencyCode.isValid(upper)) {
            throw ApiException.field(ApiError.CURRENCY_INVALID, field, "'" + currency + "' is not an ISO 4217 currency code.");
        }
        return CurrencyCode.of(upper);
    }

    public static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " is required.");
        }
        return value;
    }

    public static String optionalText(String value, String field) {
        if (value != null && value.length() > TEXT_LENGTH_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, field, field + " must be at most " + TEXT_LENGTH_MAX + " characters.");
        }
        return value;
    }

    public static Map<String, String> metadata(Map<String, String> metadata) {
        if (metadata == null) {
            return Map.of();
        }
        if (metadata.size() > METADATA_KEYS_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "metadata", "metadata holds at most 50 keys.");
        }
        for (var entry : metadata.entrySet()) {
            if (entry.getKey().isEmpty() || entry.getKey().length() > METADATA_KEY_LENGTH_MAX) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "metadata", "metadata keys are 1 to 40 characters.");
            }
            if (entry.getValue() == null || entry.getValue().length() > METADATA_VALUE_LENGTH_MAX) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "metadata." + entry.getKey(),
                        "metadata values are strings of at most 500 characters.");
            }
        }
        return metadata;
    }
}
