package dev.ledgerflow.projections.kafka;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.codec.PublicEventJson;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.io.ByteArrayOutputStream;
import java.time.format.DateTimeFormatter;
import tools.jackson.core.JsonGenerator;

/**
 * Writes an event of the log as a CloudEvents 1.0 event in the structured JSON format, the value of
 * the relay's Kafka messages.
 *
 * <p>{@code id} is the public event id ({@code evt_…}, the same as in the API, the SSE feed and
 * webhooks), so a consumer de-duplicates redeliveries by it; {@code type} is the public event type
 * under the reverse-DNS prefix {@value #TYPE_PREFIX}; {@code subject} and {@code partitionkey} are
 * the stream id (also the Kafka key); {@code data} is the public object after the change. The
 * extensions {@code ledgerposition} (global position) and {@code ledgerstreamversion} (place in the
 * stream, from 1) are strings, because the CloudEvents integer type stops at 2^31; {@code
 * ledgermerchant} names the owning merchant when there is one.
 */
public final class CloudEvents {

    /** The media type of the structured JSON format, the Kafka {@code content-type} header. */
    public static final String CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    public static final String SPEC_VERSION = "1.0";
    public static final String TYPE_PREFIX = "dev.ledgerflow.";

    private CloudEvents() {}

    /**
     * The structured CloudEvent of {@code event}, published as coming from {@code source}, as UTF-8 JSON
     * bytes written in one pass (the event's {@code data} copied token by token from the stored payload,
     * no tree).
     */
    public static byte[] toBytes(RecordedEvent event, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(event.payloadJson().length() + 400);
        try (JsonGenerator out = LedgerJson.mapper().createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringProperty("specversion", SPEC_VERSION);
            out.writeStringProperty("id", PublicEvent.idOf(event));
            out.writeStringProperty("source", source);
            out.writeStringProperty("type", TYPE_PREFIX + event.type());
            out.writeStringProperty("subject", event.streamId().value());
            out.writeStringProperty("time", DateTimeFormatter.ISO_INSTANT.format(event.recordedAt()));
            out.writeStringProperty("datacontenttype", "application/json");
            out.writeStringProperty("partitionkey", event.streamId().value());
            out.writeStringProperty("ledgerposition", Long.toString(event.position()));
            out.writeStringProperty("ledgerstreamversion", Long.toString(event.streamVersion()));
            String merchant = PublicEvent.merchantOf(event);
            if (merchant != null) {
                out.writeStringProperty("ledgermerchant", merchant);
            }
            out.writeName("data");
            PublicEventJson.writeData(out, event);
            out.writeEndObject();
        }
        return bytes.toByteArray();
    }
}
