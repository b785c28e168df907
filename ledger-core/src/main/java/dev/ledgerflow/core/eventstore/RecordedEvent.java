package dev.ledgerflow.core.eventstore;

import java.time.Instant;
import java.util.UUID;

/** An event as committed to the log, with its place in the log and in its stream. */
public record RecordedEvent(
        LogPosition logPosition,
        StreamId streamId,
        long streamVersion,
        UUID eventId,
        String type,
        String payloadJson,
        String metadataJson,
        Instant recordedAt) {

    /** The global position: unique, assigned at append, the public cursor of the log. */
    public long position() {
        return logPosition.position();
    }
}
