package dev.ledgerflow.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The public event JSON (a webhook's body, an SSE frame's data), written in one pass from the stored payload, is byte for byte what writing the
 * {@link PublicEvent} tree gives: the signature covers those bytes, and receivers have verified them.
 */
class PublicEventJsonTest {

    @ParameterizedTest(name = "payload {0}")
    @ValueSource(strings = {
        // as PostgreSQL hands jsonb back: keys reordered, a space after every colon and comma
        "{\"data\": {\"id\": \"pay_1\", \"amount\": 1000, \"status\": \"succeeded\", \"currency\": \"USD\"}, \"event\": {\"x\": 1}}",
        "{\"event\":{\"type\":\"a\",\"nested\":{\"data\":1}},\"data\":{\"id\":\"pay_2\",\"refunds\":[{\"id\":\"re_1\",\"amount\":5}],\"meta\":null}}",
        "{\"data\": {\"big\": 123456789012345678901234567890, \"long\": 9007199254740993, \"neg\": -42, \"zero\": 0}}",
        "{\"data\": {\"rate\": 1.10, \"tiny\": 1e-7, \"exp\": 2.5E+10, \"half\": 0.5}}",
        "{\"data\": {\"text\": \"caf\\u00e9 \\u2603 \\ud83d\\ude00 tab\\t nl\\n quote\\\" slash\\/ back\\\\ ctl\\u0001\"}}",
        "{\"data\": {\"empty\": {}, \"none\": [], \"flags\": [true, false, null]}}",
        "{\"data\": \"a string\"}",
        "{\"data\": null}",
        "{\"event\": {}}",
        "{}",
        "{\"data\": []}"
    })
    void is_the_bytes_of_the_public_event_tree(String payload) {
        RecordedEvent event = new RecordedEvent(new LogPosition(917, 4_242), StreamId.of("payment-pay_1"), 3,
                UUID.fromString("3f2c0d5e-8a7b-4c1d-9e2f-0a1b2c3d4e5f"), "payment.succeeded", payload,
                "{\"merchant\": \"mer_a\"}", Instant.parse("2026-01-31T23:59:58.123456Z"));

        byte[] expected = LedgerJson.mapper().writeValueAsBytes(PublicEvent.of(event));

        assertThat(new String(PublicEventJson.of(event), StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        assertThat(PublicEventJson.of(event)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "recorded at {0}")
    @ValueSource(strings = {"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.100Z", "2026-01-01T00:00:00.000000001Z"})
    void writes_the_time_as_the_mapper_does(String recordedAt) {
        RecordedEvent event = new RecordedEvent(new LogPosition(1, 1), StreamId.of("payment-pay_1"), 1, UUID.randomUUID(),
                "payment.created", "{\"data\": {\"id\": \"pay_1\"}}", "{}", Instant.parse(recordedAt));

        assertThat(PublicEventJson.of(event)).isEqualTo(LedgerJson.mapper().writeValueAsBytes(PublicEvent.of(event)));
    }
}
