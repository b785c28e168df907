package dev.ledgerflow.core.feed;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import reactor.core.publisher.Mono;

/**
 * What a {@link FeedConsumer} does with each event of the feed.
 *
 * <p>Delivery is at least once: after a crash, a restart or a failure of this handler, events after
 * the last saved checkpoint are handed over again, so handling must be idempotent (the payment
 * processor is, through expected versions and "already done" decisions). Events of different
 * streams are handled concurrently; an event that does not concern the handler completes empty.
 */
@FunctionalInterface
public interface FeedHandler {

    /** Handles one event; completes once its effects are durable, or errors to have it handed over again. */
    Mono<Void> handle(RecordedEvent event);
}
