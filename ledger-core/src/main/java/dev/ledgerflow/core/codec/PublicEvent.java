package dev.ledgerflow.core.codec;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.time.Instant;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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

    /**
     * The merchant that owns an event, from its metadata (null for none): the top-level {@code
     * merchant} member read off the stream of tokens, not through a tree (this runs for every event of
     * the log in the webhook dispatcher and the SSE hub).
     */
    public static String merchantOf(RecordedEvent recorded) {
        try (JsonParser metadata = LedgerJson.mapper().createParser(recorded.metadataJson())) {
            if (metadata.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (metadata.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = metadata.currentName();
                JsonToken value = metadata.nextToken();
                if ("merchant".equals(name)) {
                    return value == JsonToken.VALUE_STRING ? metadata.getString() : null;
                }
                metadata.skipChildren();
            }
            return null;
        }
    }
}
