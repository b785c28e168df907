package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.eventstore.LogPosition;
import java.time.Instant;

/**
 * How far a projection generation has got, as committed.
 *
 * @param checkpoint the last event applied
 * @param lastRecordedAt when that event was recorded; null before the first
 * @param eventsApplied events applied since the generation was created
 */
public record Progress(LogPosition checkpoint, Instant lastRecordedAt, long eventsApplied) {

    public static final Progress START = new Progress(LogPosition.START, null, 0);

    /** Whether the event at {@code target} has been applied. */
    public boolean reached(LogPosition target) {
        return checkpoint.compareTo(target) >= 0;
    }
}
