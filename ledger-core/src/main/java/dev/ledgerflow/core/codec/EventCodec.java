package dev.ledgerflow.core.codec;

import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.core.JsonPointer;

/**
 * Stores one aggregate's events. A payload holds the domain event under {@code event} (what
 * {@code evolve} folds) and the public object after the change under {@code data} (what webhooks,
 * the SSE feed, the Kafka relay and the read models show), so nothing downstream has to fold a
 * stream to describe an event.
 */
public final class EventCodec<E> {

    private static final JsonPointer EVENT = JsonPointer.compile("/event");

    private final Map<String, Class<? extends E>> classByType;
    private final Function<E, String> typeOf;

    public EventCodec(Map<String, Class<? extends E>> classByType, Function<E, String> typeOf) {
        this.classByType = Map.copyOf(classByType);
        this.typeOf = typeOf;
    }

    public NewEvent encode(E event, Object data, EventMetadata metadata) {
        return encodeWithData(event, LedgerJson.mapper().writeValueAsString(data), metadata);
    }

    /**
     * Encodes an event whose public object the caller has already written as JSON (to answer with the
     * same text), embedding that text as it is.
     */
    public NewEvent encodeWithData(E event, String dataJson, EventMetadata metadata) {
        String eventJson = LedgerJson.mapper().writeValueAsString(event);
        String payload = new StringBuilder(eventJson.length() + dataJson.length() + 20)
                .append("{\"event\":").append(eventJson).append(",\"data\":").append(dataJson).append('}')
                .toString();
        return new NewEvent(UUID.randomUUID(), typeOf.apply(event), payload, LedgerJson.mapper().writeValueAsString(metadata));
    }

    public boolean handles(String type) {
        return classByType.containsKey(type);
    }

    public E decode(RecordedEvent recorded) {
        Class<? extends E> type = classByType.get(recorded.type());
        if (type == null) {
            throw new IllegalStateException("stream " + recorded.streamId() + " holds an unknown event type " + recorded.type());
        }
        // Reads only the "event" member, straight into the record: no intermediate tree.
        return LedgerJson.mapper().readerFor(type).at(EVENT).readValue(recorded.payloadJson());
    }

    /** The public object after the change, as stored with the event. */
    public static JsonNode data(RecordedEvent recorded) {
        return LedgerJson.mapper().readTree(recorded.payloadJson()).get("data");
    }
}
