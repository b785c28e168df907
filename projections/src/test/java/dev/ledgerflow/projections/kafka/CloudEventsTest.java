package dev.ledgerflow.projections.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The relay's message value, written in one pass from the stored payload, is byte for byte what
 * writing the CloudEvent tree ({@link CloudEvents#of}) gives.
 */
class CloudEventsTest {

    @ParameterizedTest(name = "payload {0}, metadata {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"data\": {\"id\": \"pay_1\", \"amount\": 1000, \"status\": \"succeeded\"}, \"event\": {\"x\": 1}}|{\"merchant\": \"mer_a\"}",
        "{\"event\": {\"nested\": {\"data\": 1}}, \"data\": {\"rate\": 1.10, \"big\": 123456789012345678901234567890}}|{\"merchant\": \"mer_b\", \"request_id\": null}",
        "{\"data\": {\"text\": \"caf\\u00e9 \\ud83d\\ude00 quote\\\" nl\\n\"}}|{}",
        "{\"data\": null}|{\"merchant\": null}",
        "{}|{\"causation_id\": \"evt_1\"}"
    })
    void is_the_bytes_of_the_cloud_event_tree(String payload, String metadata) {
        RecordedEvent event = new RecordedEvent(new LogPosition(917, 4_242), StreamId.of("payment-pay_1"), 3,
                UUID.fromString("3f2c0d5e-8a7b-4c1d-9e2f-0a1b2c3d4e5f"), "payment.succeeded", payload, metadata,
                Instant.parse("2026-01-31T23:59:58.123456Z"));

        byte[] streamed = CloudEvents.toBytes(event, "/ledgerflow/test");
        byte[] fromTree = LedgerJson.mapper().writeValueAsBytes(CloudEvents.of(event, "/ledgerflow/test"));

        assertThat(new String(streamed, StandardCharsets.UTF_8)).isEqualTo(new String(fromTree, StandardCharsets.UTF_8));
    }
}
