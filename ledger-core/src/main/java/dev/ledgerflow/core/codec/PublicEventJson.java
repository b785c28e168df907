package dev.ledgerflow.core.codec;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.io.ByteArrayOutputStream;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * The event as clients see it ({@link PublicEvent}) as JSON bytes — a webhook's body, an SSE frame's
 * data, a {@code /v1/events} item — written in one pass from the stored payload's {@code data}
 * member, which is copied token by token rather than read into a tree and written out again. The
 * bytes are those of {@code LedgerJson.mapper().writeValueAsBytes(PublicEvent.of(event))}: the same
 * mapper writes the envelope, and copying a token writes it as the tree would (numbers by their
 * parsed type, strings escaped alike). Webhook signatures cover these bytes.
 */
public final class PublicEventJson {

    private static final String DATA = "data";

    private PublicEventJson() {}

    public static byte[] of(RecordedEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(event.payloadJson().length() + 160);
        try (JsonGenerator body = LedgerJson.mapper().createGenerator(out)) {
            body.writeStartObject();
            body.writeStringProperty("id", PublicEvent.idOf(event));
            body.writeNumberProperty("position", event.position());
            body.writeStringProperty("type", event.type());
            body.writeName("created_at");
            body.writePOJO(event.recordedAt()); // the mapper's own format for an Instant
            body.writeName(DATA);
            writeData(body, event);
            body.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Writes the event's public object after the change (the stored payload's {@code data} member, or
     * null) as the next value of {@code out}, copied token by token: for envelopes other than this one
     * (the Kafka relay's CloudEvents).
     */
    public static void writeData(JsonGenerator out, RecordedEvent event) {
        try (JsonParser payload = LedgerJson.mapper().createParser(event.payloadJson())) {
            if (toData(payload)) {
                out.copyCurrentStructure(payload);
            } else {
                out.writeNull();
            }
        }
    }

    /** Moves the parser onto the value of the payload's top-level {@code data} member; false when it has none. */
    private static boolean toData(JsonParser payload) {
        if (payload.nextToken() != JsonToken.START_OBJECT) {
            return false;
        }
        while (payload.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = payload.currentName();
            payload.nextToken();
            if (DATA.equals(name)) {
                return true;
            }
            payload.skipChildren();
        }
        return false;
    }
}
