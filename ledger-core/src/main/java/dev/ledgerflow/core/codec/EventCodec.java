package dev.ledgerflow.core.codec;

import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Stores one aggregate's events. A payload holds the domain event under {@code event} (what
 * {@code evolve} folds) and the public object after the change under {@code data} (what webhooks,
 * the SSE feed, the Kafka relay and the read models show), so nothing downstream has to fold a
 * stream to describe an event.
 */
public final class EventCodec<E> {

    private final Map<String, Class<? extends E>> classByType;
    private final Function<E, String> typeOf;

    public EventCodec(Map<String, Class<? extends E>> classByType, Function<E, String> typeOf) {
        this.classByType = Map.copyOf(classByType);
        this.typeOf = typeOf;
    }

    public NewEvent encode(E event, Object data, EventMetadata metadata) {
        ObjectNode payload = LedgerJson.mapper().createObjectNode();
        payload.set("event", LedgerJson.mapper().valueToTree(event));
        payload.set("data", LedgerJson.mapper().valueToTree(data));
        return new NewEvent(
                UUID.randomUUID(),
                typeOf.apply(event),
                LedgerJson.mapper().writeValueAsString(payload),
                LedgerJson.mapper().writeValueAsString(metadata));
    }

    public boolean handles(String type) {
        return classByType.containsKey(type);
    }

    public E decode(RecordedEvent recorded) {
        Class<? extends E> type = classByType.get(recorded.type());
        if (type == null) {
            throw new IllegalStateException("stream " + recorded.streamId() + " holds an unknown event type " + recorded.type());
        }
        JsonNode payload = LedgerJson.mapper().readTree(recorded.payloadJson());
        return LedgerJson.mapper().treeToValue(payload.get("event"), type);
    }

    /** The public object after the change, as stored with the event. */
    public static JsonNode data(RecordedEvent recorded) {
        return LedgerJson.mapper().readTree(recorded.payloadJson()).get("data");
    }
}
