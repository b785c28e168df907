package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.gateway.stream.EventHub.HubEvent;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * One subscriber's share of the hub: the events it wants, queued (bounded) from the moment the tap
 * opens until the subscriber takes them. The hub only ever offers to the queue; a full queue ends the
 * tap, never the hub's progress.
 */
public final class Tap implements Disposable {

    private final Sinks.Many<HubEvent> queue;
    private final Disposable subscription;
    private final AtomicBoolean overflowed = new AtomicBoolean();

    Tap(Flux<HubEvent> hub, Predicate<HubEvent> filter, int capacity, Runnable onOverflow) {
        this.queue = Sinks.many().unicast().onBackpressureBuffer(Queues.<HubEvent>get(capacity).get());
        // Subscribed now, with unbounded demand: from here on nothing the hub hands out is missed.
        this.subscription = hub.filter(filter).subscribe(event -> {
            if (queue.tryEmitNext(event).isFailure() && overflowed.compareAndSet(false, true)) {
                stop();
                queue.tryEmitError(new SlowSubscriberException());
                onOverflow.run();
            }
        });
    }

    /** The queued events, then the live ones, delivered off the hub's thread (on a parallel worker). */
    public Flux<HubEvent> events() {
        return events(Schedulers.parallel());
    }

    /**
     * The queued events, then the live ones, delivered on {@code on}: for an SSE client, the event loop
     * of its connection, so that the frame's write needs no further hand-over to that loop.
     */
    public Flux<HubEvent> events(Scheduler on) {
        return queue.asFlux().publishOn(on, 32);
    }

    private void stop() {
        subscription.dispose();
    }

    @Override
    public void dispose() {
        stop();
        queue.tryEmitComplete();
    }

    @Override
    public boolean isDisposed() {
        return subscription.isDisposed();
    }

    /** The subscriber fell more than its queue behind the feed. */
    public static final class SlowSubscriberException extends RuntimeException {
        SlowSubscriberException() {
            super("the subscriber could not keep up with the feed", null, false, false);
        }
    }
}
