package dev.ledgerflow.core.feed;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import reactor.core.publisher.Mono;

/**
 * Which events of the feed a {@link FeedConsumer} handles, and where it keeps its place: all of them
 * under one named checkpoint ({@link CheckpointStore#scope}), or the partitions of the log this
 * instance owns, each with its own fenced checkpoint (see {@code cluster.PartitionScope}).
 */
public interface FeedScope {

    /** Where to resume: every event at or before it is done. */
    Mono<LogPosition> load();

    /** Records that every event at or before {@code position} that this scope handles is done. */
    Mono<Void> save(LogPosition position);

    /** Whether the consumer handles this event; the others only move its place on. */
    default boolean handles(RecordedEvent event) {
        return true;
    }
}
