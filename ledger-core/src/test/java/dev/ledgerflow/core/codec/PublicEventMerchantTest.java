package dev.ledgerflow.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The owner of an event is the top-level {@code merchant} of its metadata, as stored (jsonb reorders keys). */
class PublicEventMerchantTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
        "{\"merchant\": \"mer_a\", \"request_id\": null}|mer_a",
        "{\"causation_id\": \"x\", \"correlation\": {\"merchant\": \"mer_nested\"}, \"merchant\": \"mer_b\"}|mer_b",
        "{\"merchant\": null}|none",
        "{\"idempotency_key\": \"k\"}|none",
        "{}|none",
        "{\"list\": [1, {\"merchant\": \"mer_x\"}], \"merchant\": \"mer_c\"}|mer_c"
    })
    void is_read_off_the_metadata(String metadata, String merchant) {
        RecordedEvent event = new RecordedEvent(new LogPosition(1, 1), StreamId.of("payment-pay_1"), 1, UUID.randomUUID(),
                "payment.created", "{}", metadata, Instant.EPOCH);
        assertThat(PublicEvent.merchantOf(event)).isEqualTo(merchant);
    }
}
