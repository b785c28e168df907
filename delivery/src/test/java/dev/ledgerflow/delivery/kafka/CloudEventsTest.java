package dev.ledgerflow.delivery.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.common.header.internals.RecordHeaders;
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

    @ParameterizedTest(name = "payload {0}, metadata {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"data\": {\"id\": \"pay_1\", \"amount\": 1000}, \"event\": {\"x\": 1}}|{\"merchant\": \"mer_a\"}",
        "{\"data\": {\"text\": \"caf\\u00e9 \\ud83d\\ude00 quote\\\" nl\\n\"}}|{}",
        "{}|{\"causation_id\": \"evt_1\"}"
    })
    void decodes_back_to_the_same_event_of_the_log(String payload, String metadata) {
        RecordedEvent event = new RecordedEvent(new LogPosition(9_007_199_254_740_993L, 4_242), StreamId.of("pay_1"), 3,
                UUID.fromString("ff2c0d5e-8a7b-4c1d-9e2f-0a1b2c3d4e5f"), "payment.created", payload, metadata,
                Instant.parse("2026-01-31T23:59:58.123456789Z"));
        RecordHeaders headers = new RecordHeaders();
        CloudEvents.headers(headers, event);

        assertThat(CloudEvents.decode(CloudEvents.toBytes(event, "/ledgerflow/test"), headers)).isEqualTo(event);
        assertThat(new String(headers.lastHeader("content-type").value(), StandardCharsets.UTF_8))
                .isEqualTo(CloudEvents.CONTENT_TYPE);
    }

    @org.junit.jupiter.api.Test
    void a_message_without_the_ledger_headers_is_refused() {
        RecordedEvent event = new RecordedEvent(new LogPosition(1, 2), StreamId.of("pay_1"), 1,
                UUID.randomUUID(), "payment.created", "{}", "{}", Instant.parse("2026-01-31T23:59:58Z"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CloudEvents.decode(CloudEvents.toBytes(event, "/x"), new RecordHeaders()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(CloudEvents.TXID_HEADER);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CloudEvents.decode("{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8), new RecordHeaders()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
