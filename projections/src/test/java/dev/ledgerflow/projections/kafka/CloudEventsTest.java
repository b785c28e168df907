package dev.ledgerflow.projections.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/** The relay's message value: a structured CloudEvent whose {@code data} is the stored public object, written in one pass. */
class CloudEventsTest {

    @ParameterizedTest(name = "payload {0}, metadata {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
        "{\"data\": {\"id\": \"pay_1\", \"amount\": 1000, \"status\": \"succeeded\"}, \"event\": {\"x\": 1}}|{\"merchant\": \"mer_a\"}|mer_a",
        "{\"event\": {\"nested\": {\"data\": 1}}, \"data\": {\"rate\": 1.10, \"big\": 123456789012345678901234567890}}|{\"merchant\": \"mer_b\", \"request_id\": null}|mer_b",
        "{\"data\": {\"text\": \"caf\\u00e9 \\ud83d\\ude00 quote\\\" nl\\n\"}}|{}|none",
        "{\"data\": null}|{\"merchant\": null}|none",
        "{}|{\"causation_id\": \"evt_1\"}|none"
    })
    void is_a_structured_cloud_event_of_the_stored_public_object(String payload, String metadata, String merchant) {
        RecordedEvent event = new RecordedEvent(new LogPosition(917, 4_242), StreamId.of("payment-pay_1"), 3,
                UUID.fromString("3f2c0d5e-8a7b-4c1d-9e2f-0a1b2c3d4e5f"), "payment.succeeded", payload, metadata,
                Instant.parse("2026-01-31T23:59:58.123456Z"));

        JsonNode cloudEvent = LedgerJson.mapper().readTree(CloudEvents.toBytes(event, "/ledgerflow/test"));

        assertThat(cloudEvent.get("specversion").asString()).isEqualTo("1.0");
        assertThat(cloudEvent.get("id").asString()).isEqualTo("evt_3f2c0d5e8a7b4c1d9e2f0a1b2c3d4e5f");
        assertThat(cloudEvent.get("source").asString()).isEqualTo("/ledgerflow/test");
        assertThat(cloudEvent.get("type").asString()).isEqualTo("dev.ledgerflow.payment.succeeded");
        assertThat(cloudEvent.get("subject").asString()).isEqualTo("payment-pay_1");
        assertThat(cloudEvent.get("partitionkey").asString()).isEqualTo("payment-pay_1");
        assertThat(cloudEvent.get("time").asString()).isEqualTo("2026-01-31T23:59:58.123456Z");
        assertThat(cloudEvent.get("datacontenttype").asString()).isEqualTo("application/json");
        assertThat(cloudEvent.get("ledgerposition").asString()).isEqualTo("4242");
        assertThat(cloudEvent.get("ledgerstreamversion").asString()).isEqualTo("3");
        if (merchant == null) {
            assertThat(cloudEvent.has("ledgermerchant")).isFalse();
        } else {
            assertThat(cloudEvent.get("ledgermerchant").asString()).isEqualTo(merchant);
        }
        JsonNode data = EventCodec.data(event);
        assertThat(cloudEvent.get("data")).isEqualTo(data != null ? data : LedgerJson.mapper().nullNode());
    }
}
