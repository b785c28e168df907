package dev.ledgerflow.core.eventstore.postgres;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A counter of "something may have committed" wake-ups, from local appends and from
 * PostgreSQL's {@code LISTEN/NOTIFY}. A reader remembers the counter before it reads and, when it
 * found nothing more, waits for the counter to move on: a wake-up that lands between its read and
 * its wait is never lost.
 */
public final class FeedSignal {

    private final AtomicLong sequence = new AtomicLong();
    private final Sinks.Many<Long> latest = Sinks.many().replay().latest();

    public long current() {
        return sequence.get();
    }

    public void wake() {
        long next = sequence.incrementAndGet();
        synchronized (latest) {
            latest.tryEmitNext(next);
        }
    }

    /** Completes once a wake-up newer than {@code seen} arrives, or after {@code timeout}. */
    public Mono<Void> awaitAfter(long seen, Duration timeout) {
        if (sequence.get() > seen) {
            return Mono.empty();
        }
        return latest.asFlux()
                .filter(s -> s > seen)
                .next()
                .timeout(timeout, Mono.empty())
                .then();
    }
}
