package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.postgres.LogTail;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * Applies the feed to one generation of one projection, page by page, each page in one transaction
 * that also moves the generation's checkpoint: a crash before the commit loses the whole page and it
 * is applied again from the same checkpoint, so no event is ever applied twice or skipped.
 *
 * <p>Each page transaction first locks the generation's checkpoint row and reads it, so two runners of the same generation (two instances of the
 * service) take turns and never apply the same page. Pages are bounded like the feed: only events
 * below the oldest running transaction ({@code pg_snapshot_xmin}), in (txid, position) order.
 *
 * <p>The runner follows the instance's {@link LogTail}: it sleeps until the tail has read new events,
 * and takes a page's bounds (its last event, how many, when recorded) from the tail's window in memory;
 * only while its checkpoint is below the window (catching up, rebuilding) does it count the page in
 * the log. A live runner makes at most one page per {@link ProjectorSettings#pageInterval()}, so that
 * under load one transaction applies many commits.
 *
 * <p>A runner in {@link Mode#REBUILD} fills a new generation from position zero while the active one
 * keeps answering. Once it has caught up it builds the secondary indexes, catches up again, and in
 * the same transaction as a page that reaches the head of the feed makes its generation the active
 * one and retires the old; from then on it follows the feed live.
 */
public final class ProjectionRunner {

    private static final Logger log = LoggerFactory.getLogger(ProjectionRunner.class);

    // One statement opens a page. It locks the generation's checkpoint row, so runners of other
    // instances take turns (in READ COMMITTED a locking read returns the row as the previous holder
    // committed it, never an older one), and sets the page's work_mem: a page sorts its events per
    // object and per account in memory, not on disk.
    private static final String OPEN_PAGE = "select set_config('work_mem', '64MB', true) as work_mem, c.txid, c.position,"
            + " c.last_recorded_at, c.events_applied, g.status, g.indexed"
            + " from projection_checkpoints c join projection_generations g using (projection, generation)"
            + " where c.projection = $1 and c.generation = $2 for update of c";
    // The page's last event. The page is counted in the feed index (txid, position) alone, an
    // index-only scan once the log is vacuumed, and only its last event is read from the table, for
    // its time: reading every event of a rebuild page from the table took several times as long. (Careful:
    // a bare "txid" in ORDER BY would mean a text alias of the select list if there were one, and
    // text order puts txid 1000 before 999.)
    private static final String BOUNDS = "select bound.txid::text as last_txid, bound.position, bound.events,"
            + " (select e.recorded_at from events e where e.position = bound.position) as recorded_at"
            + " from (select page.txid, page.position, count(*) over () as events"
            + " from (select txid, position from events"
            + " where " + PostgresEventStore.FEED_AFTER
            + " order by txid, position limit $3) page order by page.txid desc, page.position desc limit 1) bound";
    private static final String SAVE = "update projection_checkpoints set txid = $3, position = $4, last_recorded_at = $5,"
            + " events_applied = events_applied + $6, updated_at = now() where projection = $1 and generation = $2";
    private static final String RETIRE_ACTIVE = "update projection_generations set status = 'retired', retired_at = now()"
            + " where projection = $1 and status = 'active' and generation <> $2";
    private static final String ACTIVATE = "update projection_generations set status = 'active', activated_at = now()"
            + " where projection = $1 and generation = $2 and status = 'building'";

    /** Whether the runner follows the feed on the active generation or rebuilds a new one. */
    public enum Mode { LIVE, REBUILD }

    /** What a runner is doing, for operators. */
    public enum State { STARTING, RUNNING, RESTARTING, STOPPED, RETIRED }

    /** Told when this runner's generation became the active one, or was replaced. */
    public interface Listener {
        void activated(ProjectionRunner runner);

        void retired(ProjectionRunner runner);
    }

    private final Projection projection;
    private final int generation;
    private final TableNames tables;
    private final List<String> statements;
    private final ConnectionFactory connections;
    private final LogTail tail;
    private final ProjectorSettings settings;
    private final PageHook hook;
    private final Listener listener;

    private volatile Mode mode;
    private volatile State state = State.STOPPED;
    private volatile String lastError;
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicReference<Progress> progress = new AtomicReference<>(Progress.START);
    private final Sinks.Many<Progress> progressSignal = Sinks.many().replay().latest();
    private Disposable running; // guarded by this

    public ProjectionRunner(Projection projection, int generation, Mode mode, ConnectionFactory connections,
            LogTail tail, ProjectorSettings settings, PageHook hook, Listener listener) {
        this.projection = projection;
        this.generation = generation;
        this.tables = projection.tableNames(generation);
        this.statements = projection.apply().stream().map(tables::resolve).toList();
        this.mode = mode;
        this.connections = connections;
        this.tail = tail;
        this.settings = settings;
        this.hook = hook;
        this.listener = listener;
    }

    public Projection projection() {
        return projection;
    }

    public int generation() {
        return generation;
    }

    public TableNames tables() {
        return tables;
    }

    public Mode mode() {
        return mode;
    }

    public State state() {
        return state;
    }

    public String lastError() {
        return lastError;
    }

    public long restarts() {
        return restarts.get();
    }

    /** What this runner has committed so far (as far as this instance knows). */
    public Progress progress() {
        return progress.get();
    }

    /** Completes with true once the event at {@code target} is applied by this runner, or false after {@code timeout}. */
    public Mono<Boolean> awaitApplied(LogPosition target, Duration timeout) {
        return progressSignal.asFlux()
                .filter(p -> p.reached(target))
                .next()
                .map(p -> true)
                .timeout(timeout, Mono.just(false));
    }

    /** Starts following the feed from the generation's checkpoint; does nothing when already running. */
    public synchronized ProjectionRunner start() {
        if (running != null && !running.isDisposed()) {
            return this;
        }
        state = State.STARTING;
        running = Flux.defer(this::loop)
                .doOnError(this::failed)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, settings.restartDelayFirst())
                        .maxBackoff(settings.restartDelayMax())
                        .transientErrors(true)
                        .doBeforeRetry(signal -> restarts.incrementAndGet()))
                .subscribe(null,
                        error -> log.error("Projection {} g{} stopped for good", projection.name(), generation, error),
                        () -> log.info("Projection {} g{} finished", projection.name(), generation));
        log.info("Projection {} g{} started ({})", projection.name(), generation, mode);
        return this;
    }

    /** Stops; a page in flight is rolled back and will be applied again by whoever runs next. */
    public synchronized void stop() {
        if (running != null) {
            running.dispose();
            running = null;
        }
        if (state != State.RETIRED) {
            state = State.STOPPED;
        }
    }

    public synchronized boolean isRunning() {
        return running != null && !running.isDisposed();
    }

    /** One subscription: pages until retired, waiting for the tail whenever a page was not full. */
    private Flux<Page> loop() {
        Cursor cursor = new Cursor();
        return Mono.defer(() -> cursor.gate(tail, settings, mode))
                .then(Mono.defer(() -> {
                    cursor.seen = tail.version();
                    return page();
                }))
                .flatMap(this::afterCommit)
                .doOnNext(cursor::update)
                .repeat()
                .takeUntil(page -> page.retired);
    }

    private Mono<Page> page() {
        int pageSize = mode == Mode.REBUILD ? settings.rebuildPageSize() : settings.pageSize();
        return Mono.usingWhen(
                connections.create(),
                connection -> Mono.from(connection.beginTransaction())
                        .then(checkpoint(connection))
                        .flatMap(saved -> saved.retired()
                                ? Mono.just(Page.retiredPage())
                                : apply(connection, saved, pageSize))
                        .flatMap(page -> Mono.from(connection.commitTransaction()).thenReturn(page)),
                Connection::close,
                (connection, error) -> rollbackAndClose(connection),
                this::rollbackAndClose);
    }

    private Mono<Page> apply(Connection connection, Saved saved, int pageSize) {
        LogPosition from = saved.progress().checkpoint();
        return bounds(connection, from, pageSize)
                .flatMap(bounds -> {
                    int events = bounds.map(PageRange::events).orElse(0);
                    boolean full = events >= pageSize;
                    if (bounds.isEmpty()) {
                        return finishShortPage(connection, saved, new Page(0, saved.progress(), false, false, false, false));
                    }
                    PageRange range = new PageRange(from, bounds.get().last(), events, bounds.get().lastRecordedAt());
                    Progress next = new Progress(range.last(), range.lastRecordedAt(),
                            saved.progress().eventsApplied() + events);
                    return Flux.fromIterable(statements)
                            .concatMap(sql -> Sql.update(connection, sql, s -> s
                                    .bind("$1", Long.toString(from.txid())).bind("$2", from.position())
                                    .bind("$3", Long.toString(range.last().txid())).bind("$4", range.last().position())))
                            .then(Sql.update(connection, SAVE, s -> s.bind("$1", projection.name()).bind("$2", generation)
                                    .bind("$3", range.last().txid()).bind("$4", range.last().position())
                                    .bind("$5", range.lastRecordedAt().atOffset(java.time.ZoneOffset.UTC))
                                    .bind("$6", (long) events)))
                            .then(Mono.defer(() -> {
                                Page page = new Page(events, next, full, false, false, false);
                                return full ? Mono.just(page) : finishShortPage(connection, saved, page);
                            }))
                            .flatMap(page -> hook.beforeCommit(projection.name(), generation, connection, range)
                                    .thenReturn(page));
                });
    }

    /**
     * A page that reached the head of the feed. A rebuild then needs its indexes (built after the
     * commit), or, once it has them, swaps in this same transaction.
     */
    private Mono<Page> finishShortPage(Connection connection, Saved saved, Page page) {
        if (mode != Mode.REBUILD) {
            return Mono.just(page);
        }
        if (!saved.indexed()) {
            return Mono.just(page.needingIndexes());
        }
        return Sql.update(connection, RETIRE_ACTIVE, s -> s.bind("$1", projection.name()).bind("$2", generation))
                .then(Sql.update(connection, ACTIVATE, s -> s.bind("$1", projection.name()).bind("$2", generation)))
                .map(activated -> activated == 1 ? page.activating() : page);
    }

    private Mono<Page> afterCommit(Page page) {
        if (page.retired) {
            state = State.RETIRED;
            log.info("Projection {} g{} was replaced; its runner stops", projection.name(), generation);
            listener.retired(this);
            return Mono.just(page);
        }
        state = State.RUNNING;
        if (page.events > 0) {
            progress.set(page.progress);
            progressSignal.tryEmitNext(page.progress);
        }
        if (page.activated) {
            mode = Mode.LIVE;
            log.info("Projection {} g{} caught up and is now active at {}", projection.name(), generation,
                    page.progress.checkpoint());
            listener.activated(this);
        }
        if (page.needsIndexes) {
            log.info("Projection {} g{} caught up at {}; building its indexes", projection.name(), generation,
                    page.progress.checkpoint());
            return createIndexes().thenReturn(page);
        }
        return Mono.just(page);
    }

    private Mono<Void> createIndexes() {
        return Flux.fromIterable(projection.createIndexes())
                .map(tables::resolve)
                .concatMap(sql -> Sql.update(connections, sql, s -> s))
                .then(Sql.update(connections,
                        "update projection_generations set indexed = true where projection = $1 and generation = $2",
                        s -> s.bind("$1", projection.name()).bind("$2", generation)))
                .then();
    }

    /**
     * The page after {@code from}: from the tail's window when it holds {@code from} (no statement), else
     * counted in the log. Empty when there is nothing to apply.
     */
    private Mono<java.util.Optional<PageRange>> bounds(Connection connection, LogPosition from, int pageSize) {
        java.util.Optional<List<RecordedEvent>> inWindow = tail.after(from, pageSize);
        if (inWindow.isPresent()) {
            List<RecordedEvent> events = inWindow.get();
            return Mono.just(events.isEmpty()
                    ? java.util.Optional.empty()
                    : java.util.Optional.of(new PageRange(from, events.getLast().logPosition(), events.size(),
                            events.getLast().recordedAt())));
        }
        return Sql.query(connection, BOUNDS,
                        s -> s.bind("$1", Long.toString(from.txid())).bind("$2", from.position()).bind("$3", pageSize),
                        ProjectionRunner::bounds)
                .next()
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty());
    }

    private Mono<Saved> checkpoint(Connection connection) {
        return Sql.query(connection, OPEN_PAGE,
                        s -> s.bind("$1", projection.name()).bind("$2", generation),
                        row -> new Saved(
                                new Progress(new LogPosition(row.get("txid", Long.class), row.get("position", Long.class)),
                                        instant(row, "last_recorded_at"), row.get("events_applied", Long.class)),
                                "retired".equals(row.get("status", String.class)),
                                Boolean.TRUE.equals(row.get("indexed", Boolean.class))))
                .next()
                // No checkpoint at all: the generation was dropped; nothing left to run.
                .defaultIfEmpty(new Saved(Progress.START, true, false))
                .doOnNext(saved -> {
                    if (progress.get().checkpoint().compareTo(saved.progress().checkpoint()) < 0) {
                        // Another instance moved it on: adopt its progress.
                        progress.set(saved.progress());
                        progressSignal.tryEmitNext(saved.progress());
                    }
                });
    }

    private Mono<Void> rollbackAndClose(Connection connection) {
        return Mono.from(connection.rollbackTransaction())
                .onErrorResume(error -> Mono.empty())
                .then(Mono.from(connection.close()))
                .onErrorResume(error -> Mono.empty());
    }

    private void failed(Throwable error) {
        state = State.RESTARTING;
        lastError = error.toString();
        log.warn("Projection {} g{} failed after {}; trying again after a backoff", projection.name(), generation,
                progress.get().checkpoint(), error);
    }

    private static PageRange bounds(Readable row) {
        LogPosition last = new LogPosition(Long.parseLong(row.get("last_txid", String.class)), row.get("position", Long.class));
        return new PageRange(null, last, row.get("events", Long.class).intValue(), instant(row, "recorded_at"));
    }

    private static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** The checkpoint as read under the lock, and the generation's state. */
    private record Saved(Progress progress, boolean retired, boolean indexed) {}

    /** What one page transaction did. */
    private record Page(int events, Progress progress, boolean full, boolean retired, boolean activated,
            boolean needsIndexes) {

        static Page retiredPage() {
            return new Page(0, Progress.START, false, true, false, false);
        }

        Page activating() {
            return new Page(events, progress, full, retired, true, needsIndexes);
        }

        Page needingIndexes() {
            return new Page(events, progress, full, retired, activated, true);
        }
    }

    /**
     * Between pages: read again at once after a full page; else wait until the tail has read more (or
     * the idle poll, which only matters if a wake-up were lost), and a live runner also lets at least
     * {@link ProjectorSettings#pageInterval()} pass since its last page.
     */
    private static final class Cursor {
        long seen;
        boolean waitBeforeNext;
        long lastPageNanos;

        Mono<Void> gate(LogTail tail, ProjectorSettings settings, Mode mode) {
            if (!waitBeforeNext) {
                return Mono.empty();
            }
            Mono<Void> advanced = tail.awaitAdvanceAfter(seen, settings.idlePoll());
            if (mode == Mode.REBUILD) {
                return advanced;
            }
            return advanced.then(Mono.defer(() -> {
                long sinceLast = System.nanoTime() - lastPageNanos;
                long pause = settings.pageInterval().toNanos() - sinceLast;
                return pause > 0 ? Mono.delay(Duration.ofNanos(pause)).then() : Mono.<Void>empty();
            }));
        }

        void update(Page page) {
            // A page that needed indexes or swapped is followed at once by another look at the feed.
            waitBeforeNext = !page.full && !page.needsIndexes && !page.activated;
            lastPageNanos = System.nanoTime();
        }
    }
}
