package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.eventstore.LogPosition;
import java.time.Instant;

/**
 * One page of the feed that a projector applies in one transaction: the events after {@code after}
 * up to and including {@code last}.
 *
 * @param lastRecordedAt when the page's last event was recorded
 */
public record PageRange(LogPosition after, LogPosition last, int events, Instant lastRecordedAt) {}
