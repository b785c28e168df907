package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.core.codec.PublicEventJson;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.projections.event.MerchantEvents;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The one subscription of this JVM to the live feed, multicast to every SSE subscriber: however many
 * clients watch, the database is read once. Each event is turned into its public JSON once, and only
 * while someone listens.
 *
 * <p>The hub never waits for a subscriber: each one takes events into its own bounded queue (see
 * {@link #tap}), and one whose queue overflows is cut off, so a slow client can neither slow the
 * others nor hold back the feed.
 *
 * <p>Resuming without gap or duplicate relies on one ordering: the hub records an event as its
 * {@link #last()} before it hands the event out. A subscriber that taps first and reads {@code last()}
 * second therefore receives live every event after the one it read, and finds every event up to it in
 * the store.
 */
public final class EventHub implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventHub.class);

    /**
     * An event as the hub hands it out: with its owner, its public JSON and its SSE frame, computed
     * once however many subscribers it goes to.
     */
    public record HubEvent(RecordedEvent recorded, String merchant, String json, byte[] frame) {

        public static HubEvent of(RecordedEvent recorded) {
            String json = new String(PublicEventJson.of(recorded), StandardCharsets.UTF_8);
            return new HubEvent(recorded, PublicEvent.merchantOf(recorded), json,
                    Sse.frame(recorded.position(), recorded.type(), json));
        }

        public LogPosition logPosition() {
            return recorded.logPosition();
        }
    }

    private final EventStore store;
    private final MerchantEvents merchantEvents;
    private final Sinks.Many<HubEvent> sink = Sinks.many().multicast().directBestEffort();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong disconnectedSlow = new AtomicLong();
    private volatile LogPosition last;
    private volatile Disposable subscription;
    private final Scheduler fanOut = Schedulers.newSingle("sse-hub", true);

    public EventHub(EventStore store, MerchantEvents merchantEvents) {
        this.store = store;
        this.merchantEvents = merchantEvents;
    }

    /** Subscribes to the feed from its current head. Blocks once, at start-up. */
    public void start() {
        last = merchantEvents.head().block(Duration.ofSeconds(30));
        subscription = Flux.defer(() -> store.subscribe(last))
                // Handing an event to thousands of taps takes a while: do it on the hub's own thread, not
                // on the thread of the tail of the log, which every other consumer of the log waits on.
                .publishOn(fanOut, 256)
                .doOnNext(this::publish)
                .doOnError(error -> log.warn("Event hub lost the feed after {}; subscribing again", last, error))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(5)))
                .subscribe();
        log.info("Event hub follows the feed after {}", last);
    }

    private void publish(RecordedEvent recorded) {
        last = recorded.logPosition(); // before handing out: see the class comment
        if (sink.currentSubscriberCount() == 0) {
            return;
        }
        published.incrementAndGet();
        sink.tryEmitNext(HubEvent.of(recorded));
    }

    /** The last event handed out (or the head of the feed at start): taps opened now get everything after it. */
    public LogPosition last() {
        return last;
    }

    /**
     * Starts taking the events that pass {@code filter} into a queue of {@code capacity}; when the
     * queue overflows the tap stops, and {@code onOverflow} runs (to cut the client off).
     */
    public Tap tap(Predicate<HubEvent> filter, int capacity, Runnable onOverflow) {
        return new Tap(sink.asFlux(), filter, capacity, () -> {
            disconnectedSlow.incrementAndGet();
            onOverflow.run();
        });
    }

    /** Subscribers right now. */
    public int subscribers() {
        return sink.currentSubscriberCount();
    }

    /** Subscribers cut off so far because they could not keep up. */
    public long disconnectedSlow() {
        return disconnectedSlow.get();
    }

    @Override
    public void close() {
        Disposable current = subscription;
        if (current != null) {
            current.dispose();
        }
        sink.tryEmitComplete();
        fanOut.dispose();
    }
}
