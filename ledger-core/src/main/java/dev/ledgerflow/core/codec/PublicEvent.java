package dev.ledgerflow.core.codec;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * An event as clients see it (API.md "Event object"): the same shape in {@code /v1/events}, the SSE
 * feed, webhooks and the Kafka relay.
 *
 * @param id {@code evt_} and the event's uuid: stable, so a consumer can de-duplicate by it
 * @param data the object after the change
 */
public record PublicEvent(String id, long position, String type, Instant createdAt, JsonNode data) {

    public static PublicEvent of(RecordedEvent recorded) {
        return new PublicEvent(
                idOf(recorded),
                recorded.position(),
                recorded.type(),
                recorded.recordedAt(),
                EventCodec.data(recorded));
    }

    public static String idOf(RecordedEvent recorded) {
        return "evt_" + recorded.eventId().toString().replace("-", "");
    }

    /** The merchant that owns an event, from its metadata (null for none). */
    public static String merchantOf(RecordedEvent recorded) {
        JsonNode merchant = LedgerJson.mapper().readTree(recorded.metadataJson()).get("merchant");
        return merchant == null || merchant.isNull() ? null : merchant.asString();
    }
}
