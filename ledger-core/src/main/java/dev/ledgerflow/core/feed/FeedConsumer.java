package dev.ledgerflow.core.feed;

import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Runs a {@link FeedHandler} over the feed from a saved checkpoint, at least once per event.
 *
 * <p>Events are handled concurrently, up to {@link Settings#concurrency()} at a time, but finish in
 * feed order ({@code flatMapSequential}): the checkpoint only ever moves past events whose handling
 * completed, together with every event before them. It is saved every {@link
 * Settings#checkpointEventsMax()} events or {@link Settings#checkpointInterval()}, whichever comes
 * first, and once more on {@link #stop()}. A failed or timed-out handler, or a lost database, ends the
 * subscription; it is logged and restarted with backoff from the last finished event, so the failed
 * event is handed over again and nothing after it is ever skipped.
 *
 * <p>The concurrency is also the window of events that may wait behind a slow earlier one: an event
 * that finished is only counted, and its slot freed, once everything before it has finished.
 *
 * <p>A {@link FeedBatchHandler} is handed runs of consecutive events instead ({@link Batching}), for
 * set-based work: the same guarantees hold per batch, and the concurrency counts batches.
 *
 * <p>One active consumer per name and {@link FeedScope} is expected: two under one checkpoint row
 * would both handle every event (harmless for an idempotent handler, but twice the work, and for the
 * payment processor twice the acquirer calls). With more than one instance, a consumer either runs
 * where it holds a lease, or handles the partitions of the log its instance owns ({@link #rescope}
 * with a partition scope; see docs/scale-out.md).
 */
public final class FeedConsumer implements Disposable {

    private static final Duration CLOSE_WAIT_MAX = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(FeedConsumer.class);

    private final String name;
    private final EventStore store;
    private volatile FeedScope scope;
    private final FeedHandler handler; // null when batched
    private final FeedBatchHandler batchHandler; // null when event by event
    private final Batching batching;
    private final Settings settings;

    /** The last event finished together with all before it; null until the saved checkpoint is loaded. */
    private final AtomicReference<LogPosition> finished = new AtomicReference<>();
    private final AtomicReference<LogPosition> saved = new AtomicReference<>();
    private final AtomicLong eventsFinished = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private volatile Instant lastEventRecordedAt;
    private volatile String lastError;
    private Disposable running; // guarded by this

    public FeedConsumer(
            String name, EventStore store, CheckpointStore checkpoints, FeedHandler handler, Settings settings) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a feed consumer needs a name: its checkpoint is saved under it");
        }
        this.name = name;
        this.store = Objects.requireNonNull(store, "store");
        this.scope = Objects.requireNonNull(checkpoints, "checkpoints").scope(name);
        this.handler = Objects.requireNonNull(handler, "handler");
        this.batchHandler = null;
        this.batching = null;
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * A consumer that hands over runs of consecutive events: up to {@link Batching#eventsMax()}, or
     * fewer once {@link Batching#waitMax()} has passed since the first of them arrived. The settings'
     * concurrency is then the number of batches handled at once; they finish in feed order, and the
     * checkpoint moves past a batch only once it and every batch before it finished.
     */
    public FeedConsumer(String name, EventStore store, CheckpointStore checkpoints, FeedBatchHandler handler,
            Settings settings, Batching batching) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a feed consumer needs a name: its checkpoint is saved under it");
        }
        this.name = name;
        this.store = Objects.requireNonNull(store, "store");
        this.scope = Objects.requireNonNull(checkpoints, "checkpoints").scope(name);
        this.handler = null;
        this.batchHandler = Objects.requireNonNull(handler, "handler");
        this.batching = Objects.requireNonNull(batching, "batching");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * How a batched consumer groups events.
     *
     * @param eventsMax the most events in one batch
     * @param waitMax the longest a batch waits to fill once its first event arrived: the latency a
     *     quiet feed pays for batching
     */
    public record Batching(int eventsMax, Duration waitMax) {

        public Batching {
            if (eventsMax < 1) {
                throw new IllegalArgumentException("eventsMax must be positive");
            }
            Settings.requirePositive(waitMax, "waitMax");
        }
    }

    /**
     * Tuning of a consumer.
     *
     * @param concurrency events handled at once, and the window of finished events that may wait
     *     behind an unfinished earlier one
     * @param checkpointEventsMax the checkpoint is saved at least every this many events …
     * @param checkpointInterval … or this long after the first event not yet saved
     * @param handlerTimeout a handler that takes longer is failed, so that a hung call cannot stall the
     *     consumer silently; the event is handed over again
     * @param restartDelayFirst the first wait before subscribing again after a failure; it doubles
     *     (with jitter) while failures repeat without progress …
     * @param restartDelayMax … up to this
     */
    public record Settings(
            int concurrency,
            int checkpointEventsMax,
            Duration checkpointInterval,
            Duration handlerTimeout,
            Duration restartDelayFirst,
            Duration restartDelayMax) {

        public Settings {
            if (concurrency < 1 || checkpointEventsMax < 1) {
                throw new IllegalArgumentException("concurrency and checkpointEventsMax must be positive");
            }
            requirePositive(checkpointInterval, "checkpointInterval");
            requirePositive(handlerTimeout, "handlerTimeout");
            requirePositive(restartDelayFirst, "restartDelayFirst");
            requirePositive(restartDelayMax, "restartDelayMax");
        }

        /** 256 at once; a save every 500 events or 1 s; a 1 min handler timeout; restarts after 100 ms to 30 s. */
        public static Settings defaults() {
            return new Settings(256, 500, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMillis(100),
                    Duration.ofSeconds(30));
        }

        public Settings withConcurrency(int otherConcurrency) {
            return new Settings(otherConcurrency, checkpointEventsMax, checkpointInterval, handlerTimeout,
                    restartDelayFirst, restartDelayMax);
        }

        public Settings withHandlerTimeout(Duration otherHandlerTimeout) {
            return new Settings(concurrency, checkpointEventsMax, checkpointInterval, otherHandlerTimeout,
                    restartDelayFirst, restartDelayMax);
        }

        static void requirePositive(Duration duration, String what) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
        }
    }

    /**
     * Where a consumer is, for lag reports and operators.
     *
     * @param checkpoint the last event finished together with all before it (in memory, maybe not saved yet)
     * @param savedCheckpoint what a restart would resume after
     * @param lastEventRecordedAt when the event at {@code checkpoint} was recorded; null before the first
     * @param lastError the last failure that restarted the subscription; null if none
     */
    public record Status(
            String name,
            boolean running,
            LogPosition checkpoint,
            LogPosition savedCheckpoint,
            Instant lastEventRecordedAt,
            long eventsFinished,
            long restarts,
            String lastError) {}

    public String name() {
        return name;
    }

    /**
     * Subscribes from the saved checkpoint and keeps going, restarting after failures, until stopped.
     * Does nothing when already running.
     */
    public synchronized FeedConsumer start() {
        if (running != null && !running.isDisposed()) {
            return this;
        }
        finished.set(null); // load the saved checkpoint again: another instance may have moved it
        running = Flux.defer(this::run)
                .doOnError(this::failed)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, settings.restartDelayFirst())
                        .maxBackoff(settings.restartDelayMax())
                        .transientErrors(true) // a restart that made progress starts the backoff over
                        .doBeforeRetry(signal -> restarts.incrementAndGet()))
                .subscribe(null, error -> log.error("Feed consumer {} stopped for good", name, error));
        log.info("Feed consumer {} started", name);
        return this;
    }

    /**
     * Stops (saving what finished under the current scope), then carries on under {@code next}: starts
     * again from its checkpoint if {@code run}, else stays stopped. For a change of owned partitions.
     */
    public Mono<Void> rescope(FeedScope next, boolean run) {
        Objects.requireNonNull(next, "next");
        // A checkpoint that could not be saved (the database gone, as when a lease is lost to an outage)
        // does not keep the consumer on its old scope: what followed the last saved one is handed over
        // again (at least once), and a consumer left stopped on the old scope would never be given the
        // same leases back (seen in the chaos run: webhooks stopped after a PostgreSQL restart).
        return stop().onErrorResume(error -> {
            log.warn("Feed consumer {}: the checkpoint of its old scope was not saved; what followed the last saved one"
                    + " will be handed over again", name, error);
            return Mono.empty();
        }).then(Mono.fromRunnable(() -> {
            synchronized (this) {
                scope = next;
                if (run) {
                    start();
                }
            }
        }));
    }

    /**
     * Stops handling (in-flight handlers are cancelled; their events will be handed over again) and
     * then saves the checkpoint of what finished.
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            Disposable current;
            synchronized (this) {
                current = running;
                running = null;
            }
            if (current == null) {
                return Mono.empty();
            }
            current.dispose();
            LogPosition last = finished.get();
            LogPosition lastSaved = saved.get();
            Mono<Void> save = last == null || (lastSaved != null && !last.isAfter(lastSaved))
                    ? Mono.empty()
                    : save(last).then();
            return save.doOnSuccess(done -> log.info("Feed consumer {} stopped at {}", name, finished.get()));
        });
    }

    /**
     * Stops and waits (at most 10 s) until the last checkpoint is saved: the service's way down, before
     * the database pool closes. A failed save is logged; the events after the saved checkpoint are
     * handed over again at the next start (at least once).
     */
    public void close() {
        try {
            stop().block(CLOSE_WAIT_MAX);
        } catch (RuntimeException e) {
            log.warn("Feed consumer {}: saving the last checkpoint failed", name, e);
        }
    }

    /** Stops without waiting for the last checkpoint to be saved (see {@link #stop()}). */
    @Override
    public void dispose() {
        stop().subscribe(null, error -> log.warn("Feed consumer {}: saving the last checkpoint failed", name, error));
    }

    @Override
    public synchronized boolean isDisposed() {
        return running == null || running.isDisposed();
    }

    /** The last event finished together with all before it; {@link LogPosition#START} until loaded. */
    public LogPosition checkpoint() {
        LogPosition last = finished.get();
        return last != null ? last : LogPosition.START;
    }

    public Status status() {
        LogPosition lastSaved = saved.get();
        return new Status(name, !isDisposed(), checkpoint(), lastSaved != null ? lastSaved : LogPosition.START,
                lastEventRecordedAt, eventsFinished.get(), restarts.get(), lastError);
    }

    /** One subscription: from the last finished event (or the saved checkpoint) until it fails. */
    private Flux<LogPosition> run() {
        LogPosition resumeAfter = finished.get();
        Mono<LogPosition> from = resumeAfter != null
                ? Mono.just(resumeAfter)
                : scope.load().doOnNext(position -> {
                    finished.set(position);
                    saved.set(position);
                    log.info("Feed consumer {} resumes after {}", name, position);
                });
        Flux<RecordedEvent> events = from.flatMapMany(store::subscribe);
        Flux<RecordedEvent> handled = batching == null
                ? events.flatMapSequential(this::handle, settings.concurrency(), 1)
                : events.bufferTimeout(batching.eventsMax(), batching.waitMax(), true)
                        .flatMapSequential(this::handleBatch, settings.concurrency(), 1)
                        .concatMapIterable(batch -> batch);
        return handled
                .doOnNext(this::finished)
                .bufferTimeout(settings.checkpointEventsMax(), settings.checkpointInterval(), true)
                .concatMap(batch -> save(batch.getLast().logPosition()));
    }

    private Mono<RecordedEvent> handle(RecordedEvent event) {
        if (!scope.handles(event)) {
            return Mono.just(event);
        }
        return Mono.defer(() -> handler.handle(event))
                .timeout(settings.handlerTimeout())
                .onErrorMap(error -> new HandlerFailedException(name, event, error))
                .thenReturn(event);
    }

    private Mono<List<RecordedEvent>> handleBatch(List<RecordedEvent> batch) {
        FeedScope current = scope;
        List<RecordedEvent> handled = batch.stream().filter(current::handles).toList();
        if (handled.isEmpty()) {
            return Mono.just(batch);
        }
        return Mono.defer(() -> batchHandler.handle(handled))
                .timeout(settings.handlerTimeout())
                .onErrorMap(error -> new HandlerFailedException(name, batch, error))
                .thenReturn(batch);
    }

    private void finished(RecordedEvent event) {
        LogPosition previous = finished.get();
        if (previous != null && !event.logPosition().isAfter(previous)) {
            // Only a broken store can do this, and resuming after the later event would skip this one.
            throw new IllegalStateException("the feed went backwards: " + event.logPosition() + " after " + previous);
        }
        finished.set(event.logPosition());
        lastEventRecordedAt = event.recordedAt();
        eventsFinished.incrementAndGet();
    }

    private Mono<LogPosition> save(LogPosition position) {
        return scope.save(position)
                .then(Mono.fromSupplier(() -> saved.accumulateAndGet(position,
                        (current, next) -> current == null || next.isAfter(current) ? next : current)));
    }

    private void failed(Throwable error) {
        lastError = error.toString();
        log.warn("Feed consumer {} failed after {}; subscribing again after a backoff", name, checkpoint(), error);
    }

    /** A handler failed on one event: the consumer restarts before it. */
    static final class HandlerFailedException extends RuntimeException {
        HandlerFailedException(String consumer, RecordedEvent event, Throwable cause) {
            super("feed consumer " + consumer + " failed on " + event.type() + " at position " + event.position()
                    + " of stream " + event.streamId() + ": " + cause, cause);
        }

        HandlerFailedException(String consumer, List<RecordedEvent> batch, Throwable cause) {
            super("feed consumer " + consumer + " failed on a batch of " + batch.size() + " events from position "
                    + batch.getFirst().position() + " to " + batch.getLast().position() + ": " + cause, cause);
        }
    }
}
