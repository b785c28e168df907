package dev.ledgerflow.delivery.kafka;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.codec.PublicEventJson;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.StreamId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

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
 *
 * <p>Three Kafka headers carry what the ledger's own consumers need besides ({@link #headers}), so that
 * {@link #decode} gives back the very event of the log: {@value #TXID_HEADER} (the writing transaction,
 * half of the feed's place), {@value #PAYLOAD_HEADER} and {@value #METADATA_HEADER} (the stored JSON).
 * They are headers, not attributes, so the CloudEvent stays exactly the public one.
 */
public final class CloudEvents {

    /** The media type of the structured JSON format, the Kafka {@code content-type} header. */
    public static final String CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    public static final String SPEC_VERSION = "1.0";
    public static final String TYPE_PREFIX = "dev.ledgerflow.";

    /** Header: the id of the transaction that wrote the event, in decimal. */
    public static final String TXID_HEADER = "ledger-txid";
    /** Header: the stored payload, UTF-8 JSON. */
    public static final String PAYLOAD_HEADER = "ledger-payload";
    /** Header: the stored metadata, UTF-8 JSON. */
    public static final String METADATA_HEADER = "ledger-metadata";

    private CloudEvents() {}

    /** Adds the {@code content-type} header and the headers {@link #decode} needs besides the CloudEvent. */
    public static void headers(Headers headers, RecordedEvent event) {
        headers.add("content-type", CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        headers.add(TXID_HEADER, Long.toString(event.logPosition().txid()).getBytes(StandardCharsets.UTF_8));
        headers.add(PAYLOAD_HEADER, event.payloadJson().getBytes(StandardCharsets.UTF_8));
        headers.add(METADATA_HEADER, event.metadataJson().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The event of the log that {@link #toBytes} and {@link #headers} published, read back from a
     * message: the CloudEvent's attributes (its {@code data} skipped) and the three ledger headers.
     *
     * @throws IllegalArgumentException for a message that is not one of the relay's (or from a relay
     *     before the ledger headers)
     */
    public static RecordedEvent decode(byte[] value, Headers headers) {
        String id = null;
        String type = null;
        String subject = null;
        String time = null;
        String position = null;
        String streamVersion = null;
        try (JsonParser in = LedgerJson.mapper().createParser(value)) {
            if (in.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a structured CloudEvent");
            }
            while (in.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = in.currentName();
                JsonToken token = in.nextToken();
                String text = token == JsonToken.VALUE_STRING ? in.getString() : null;
                switch (name) {
                    case "id" -> id = text;
                    case "type" -> type = text;
                    case "subject" -> subject = text;
                    case "time" -> time = text;
                    case "ledgerposition" -> position = text;
                    case "ledgerstreamversion" -> streamVersion = text;
                    default -> in.skipChildren();
                }
            }
        }
        if (id == null || !id.startsWith("evt_") || id.length() != 36 || type == null || !type.startsWith(TYPE_PREFIX)
                || subject == null || time == null || position == null || streamVersion == null) {
            throw new IllegalArgumentException("not a CloudEvent of the ledger's relay: id " + id + ", type " + type);
        }
        String hex = id.substring(4);
        UUID eventId = new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
        long txid = Long.parseLong(header(headers, TXID_HEADER));
        return new RecordedEvent(new LogPosition(txid, Long.parseLong(position)), StreamId.of(subject),
                Long.parseLong(streamVersion), eventId, type.substring(TYPE_PREFIX.length()),
                header(headers, PAYLOAD_HEADER), header(headers, METADATA_HEADER), Instant.parse(time));
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        if (header == null) {
            throw new IllegalArgumentException("message without the " + name + " header (published by an older relay?)");
        }
        return new String(header.value(), StandardCharsets.UTF_8);
    }

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
