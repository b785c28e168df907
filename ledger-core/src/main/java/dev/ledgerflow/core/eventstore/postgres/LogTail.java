package dev.ledgerflow.core.eventstore.postgres;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The one reader of the log in this process. It follows the gap-free feed page by page and keeps the
 * latest events in a bounded window in memory; every consumer of the process (payment processor,
 * projections, webhook dispatcher, SSE hub, Kafka relay) takes its events from there, at its own pace,
 * instead of reading the log itself.
 *
 * <p>A caught-up tail sleeps until something may have committed: a local append or a {@code
 * NOTIFY} from another instance. Only while committed events wait behind a transaction still running
 * (the feed is "held back", which no commit of an append signals when that transaction is not an
 * append) does it look again after {@link PostgresEventStore.Settings#heldBackPoll()}: the held-back
 * check is part of the page read, one statement.
 *
 * <p>While events keep coming, reads are paced ({@link #READ_INTERVAL_MIN} apart): under a steady
 * trickle of commits one read, and one wake-up of every consumer, then takes several of them.
 *
 * <p>The window holds the events after {@link #floor()} up to {@link #head()}, all of them, in feed
 * order. A consumer whose position is below the floor has fallen behind: it reads from PostgreSQL by
 * itself ({@link #subscribe}) until it reaches the window, and then takes from memory again.
 */
public final class LogTail implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogTail.class);
    private static final Duration READ_INTERVAL_MIN = Duration.ofMillis(5);

    private final PostgresEventStore store;
    private final FeedSignal commits;
    private final int pageSize;
    private final int windowMax;
    private final Duration idlePoll;
    private final Duration heldBackPoll;
    /** Moves on every time the window takes new events. */
    private final FeedSignal advanced = new FeedSignal();
    private final LongAdder tailReads = new LongAdder();
    private final LongAdder catchUpReads = new LongAdder();

    // guarded by this
    private final ArrayList<RecordedEvent> window = new ArrayList<>();
    private LogPosition floor;
    private LogPosition head;
    private Disposable running;

    LogTail(PostgresEventStore store, FeedSignal commits, int pageSize, int windowMax, Duration idlePoll,
            Duration heldBackPoll) {
        if (windowMax < pageSize) {
            throw new IllegalArgumentException("the window must hold at least one page");
        }
        this.store = store;
        this.commits = commits;
        this.pageSize = pageSize;
        this.windowMax = windowMax;
        this.idlePoll = idlePoll;
        this.heldBackPoll = heldBackPoll;
    }

    /** Starts following the log from its current head; does nothing when already running. */
    public synchronized void start() {
        if (running != null) {
            return;
        }
        running = Flux.defer(this::follow)
                .doOnError(error -> log.warn("The tail of the log lost the database after {}; reading again", head(), error))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(5)))
                .subscribe();
    }

    @Override
    public synchronized void close() {
        if (running != null) {
            running.dispose();
        }
    }

    /** The last event read, or the head of the log when the tail started; null before it started. */
    public synchronized LogPosition head() {
        return head;
    }

    /** Events after this are in the window; null before the tail started. */
    public synchronized LogPosition floor() {
        return floor;
    }

    /**
     * How often the log was read: by the tail itself, and by subscribers catching up below the window.
     *
     * @param tailReads statements the tail made to follow the log
     * @param catchUpReads pages subscribers read from the log themselves because they were behind the window
     */
    public record Reads(long tailReads, long catchUpReads) {}

    public Reads reads() {
        return new Reads(tailReads.sum(), catchUpReads.sum());
    }

    /** A counter that moves on whenever the head does: remember it before looking, then {@link #awaitAdvanceAfter}. */
    public long version() {
        return advanced.current();
    }

    /** Completes once the head moved on after {@code seenVersion} was read (no timeout). */
    public Mono<Void> awaitAdvanceAfter(long seenVersion) {
        return advanced.awaitAfter(seenVersion, Duration.ofDays(1));
    }

    /** Completes once the head moved on after {@code seenVersion} was read, or after {@code timeout}. */
    public Mono<Void> awaitAdvanceAfter(long seenVersion, Duration timeout) {
        return advanced.awaitAfter(seenVersion, timeout);
    }

    /** Completes once the head is after {@code position}. */
    public Mono<Void> awaitBeyond(LogPosition position) {
        return Mono.defer(() -> {
            long seen = version();
            LogPosition current = head();
            if (current != null && current.isAfter(position)) {
                return Mono.<Void>empty();
            }
            return awaitAdvanceAfter(seen).then(awaitBeyond(position));
        });
    }

    /**
     * Up to {@code max} events right after {@code after}, from memory: empty when there is none yet;
     * absent when {@code after} is below the window (or the tail has not started), so the caller
     * must read the log itself.
     */
    public synchronized Optional<List<RecordedEvent>> after(LogPosition after, int max) {
        if (floor == null || after.compareTo(floor) < 0) {
            return Optional.empty();
        }
        int from = firstAfter(after);
        int to = Math.min(window.size(), from + max);
        return Optional.of(from >= to ? List.of() : List.copyOf(window.subList(from, to)));
    }

    /**
     * Every committed event after {@code after}, in feed order, first from the log in PostgreSQL
     * while it is below the window, then from the window as the tail fills it. Honours backpressure:
     * a slow subscriber falls behind the window and reads the log itself, never holding up the tail.
     */
    public Flux<RecordedEvent> subscribe(LogPosition after) {
        return Flux.defer(() -> {
            start();
            LogPosition[] cursor = {after};
            Mono<List<RecordedEvent>> nextPage = Mono.defer(() -> {
                long seen = version();
                Optional<List<RecordedEvent>> fromWindow = after(cursor[0], pageSize);
                if (fromWindow.isPresent() && !fromWindow.get().isEmpty()) {
                    return Mono.just(fromWindow.get());
                }
                if (fromWindow.isPresent() || floor() == null) {
                    // Caught up, or the tail has not found the head of the log yet: wait for it.
                    return awaitAdvanceAfter(seen).thenReturn(List.<RecordedEvent>of());
                }
                // Behind the window: catch up from the log alone.
                catchUpReads.increment();
                return store.readLog(cursor[0], pageSize).collectList().flatMap(page -> page.isEmpty()
                        ? awaitAdvanceAfter(seen).thenReturn(page)
                        : Mono.just(page));
            }).doOnNext(page -> {
                if (!page.isEmpty()) {
                    cursor[0] = page.getLast().logPosition();
                }
            });
            return nextPage.repeat().concatMapIterable(Function.identity(), 1);
        });
    }

    /** One subscription to the database: the head, then pages until an error. */
    private Flux<Integer> follow() {
        Mono<LogPosition> from = Mono.defer(() -> {
            LogPosition current = head();
            return current != null ? Mono.just(current) : store.feedHead().doOnNext(this::begin);
        });
        boolean[] waitBeforeNext = {false};
        boolean[] heldBack = {false};
        boolean[] flowing = {false};
        long[] seen = {0};
        long[] lastReadNanos = {0};
        return from.thenMany(Mono.defer(() -> waitBeforeNext[0]
                        ? pace(flowing[0], lastReadNanos[0]).then(commits.awaitAfter(seen[0], heldBack[0] ? heldBackPoll : idlePoll))
                        : Mono.<Void>empty())
                .then(Mono.defer(() -> {
                    seen[0] = commits.current();
                    lastReadNanos[0] = System.nanoTime();
                    tailReads.increment();
                    return store.readLogPage(head(), pageSize);
                }))
                .map(page -> {
                    take(page.events());
                    waitBeforeNext[0] = page.events().size() < pageSize;
                    flowing[0] = !page.events().isEmpty();
                    heldBack[0] = page.heldBack();
                    return page.events().size();
                })
                .repeat());
    }

    /**
     * While events keep coming, reads are at least {@link #READ_INTERVAL_MIN} apart, so that under a
     * steady trickle one read (and one wake-up of every consumer) takes several commits; the first
     * commit after a quiet spell is read at once.
     */
    private static Mono<Void> pace(boolean flowing, long lastReadNanos) {
        if (!flowing) {
            return Mono.empty();
        }
        long pause = READ_INTERVAL_MIN.toNanos() - (System.nanoTime() - lastReadNanos);
        return pause > 0 ? Mono.delay(Duration.ofNanos(pause)).then() : Mono.empty();
    }

    private void begin(LogPosition at) {
        synchronized (this) {
            if (head == null) {
                head = at;
                floor = at;
                log.info("The tail of the log starts after {}", at);
            }
        }
        advanced.wake();
    }

    private void take(List<RecordedEvent> page) {
        if (page.isEmpty()) {
            return;
        }
        synchronized (this) {
            window.addAll(page);
            head = page.getLast().logPosition();
            int excess = window.size() - windowMax;
            if (excess > 0) {
                floor = window.get(excess - 1).logPosition();
                window.subList(0, excess).clear();
            }
        }
        advanced.wake();
    }

    /** The index of the first event in the window after {@code after} (binary search; the window is sorted). */
    private int firstAfter(LogPosition after) {
        int low = 0;
        int high = window.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (window.get(mid).logPosition().compareTo(after) <= 0) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    /** A page of the log, and whether committed events wait behind a running transaction. */
    record Page(List<RecordedEvent> events, boolean heldBack) {}
}
