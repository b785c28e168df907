package dev.ledgerflow.core.feed;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * What a {@link FeedConsumer} does with a run of consecutive events of the feed, for handlers that
 * do their work set-based (one statement for many events) rather than event by event.
 *
 * <p>The same contract as {@link FeedHandler}, for the whole batch: it completes once the effects of
 * every event in it are durable, or errors to have the batch handed over again from its first event.
 * Delivery is at least once, so handling must be idempotent; batches may be handed over split or
 * joined differently after a restart.
 */
@FunctionalInterface
public interface FeedBatchHandler {

    /** Handles consecutive events, in feed order; never called with an empty list. */
    Mono<Void> handle(List<RecordedEvent> events);
}
