package dev.ledgerflow.core.eventstore.postgres;

import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.api.PostgresqlResult;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The event store on PostgreSQL over R2DBC. Appends go through {@link GroupCommit}; the log is read
 * in (txid, position) order below the oldest running transaction, so no reader can miss an event
 * that commits late. One {@link LogTail} per store follows the log for every subscriber; it is woken
 * by local commits and by {@code LISTEN/NOTIFY}.
 */
public final class PostgresEventStore implements EventStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresEventStore.class);

    static final String COLUMNS =
            "position, txid::text as txid, stream_id, stream_version, event_id, type, payload::text as payload,"
                    + " metadata::text as metadata, recorded_at";
    private static final String READ_STREAM =
            "select " + COLUMNS + " from events where stream_id = $1 order by stream_version";
    // A range of the (stream_id, stream_version) key: when the stream has not moved, one index probe, no rows.
    private static final String READ_STREAM_AFTER = "select " + COLUMNS + " from events"
            + " where stream_id = $1 and stream_version > $2 order by stream_version";
    /**
     * The feed after a position, as every reader of the log writes it: events ordered by (writing
     * transaction, position) after {@code ($1 txid as text, $2 position)}, and only those of transactions
     * below the snapshot's horizon, so that none can still appear before them (the gap-free rule).
     */
    public static final String FEED_AFTER = "(txid, position) > ($1::text::xid8, $2) and txid < pg_snapshot_xmin(pg_current_snapshot())";
    // Ordered by the columns (events.txid), not by the "txid" text alias of the select list: a bare
    // name in ORDER BY means the output column, and text order puts txid 1000 before 999.
    private static final String READ_LOG = "select " + COLUMNS + " from events"
            + " where " + FEED_AFTER
            + " order by events.txid, events.position limit $3";
    // One page of the feed and, in the same statement and snapshot, whether committed events wait
    // behind a transaction still running ("held back"): the tail then looks again soon, as no append
    // of this or another instance may signal the end of that transaction. Held back is "the newest
    // visible event's txid is at or above the horizon", one step down the feed index from its end;
    // written as exists (… where txid >= horizon) it was planned as a scan of the whole log that found
    // the newest rows last (under load, most of PostgreSQL's time per payment: docs/benchmarks.md).
    private static final String READ_LOG_PAGE = "select page.position, page.txid::text as txid, page.stream_id,"
            + " page.stream_version, page.event_id, page.type, page.payload::text as payload,"
            + " page.metadata::text as metadata, page.recorded_at, horizon.held"
            + " from (select coalesce((select events.txid from events order by events.txid desc limit 1)"
            + " >= pg_snapshot_xmin(pg_current_snapshot()), false) as held) horizon"
            + " left join lateral (select * from events"
            + " where " + FEED_AFTER
            + " order by events.txid, events.position limit $3) page on true"
            + " order by page.txid, page.position";
    private static final String FEED_HEAD = "select txid::text as txid, position from events"
            + " where txid < pg_snapshot_xmin(pg_current_snapshot()) order by events.txid desc, events.position desc limit 1";
    private static final String POSITION_OF =
            "select txid::text as txid, position from events where position <= $1 order by position desc limit 1";

    private static final String IDEMPOTENCY_RECORD = "select fingerprint, response_status, response_body, position"
            + " from idempotency_keys where scope = $1 and key = $2 and expires_at > now()";

    private final ConnectionFactory connections;
    private final GroupCommit groupCommit;
    private final FeedSignal commits = new FeedSignal();
    private final LogTail tail;
    private final Disposable listener;

    /**
     * @param connections a pooled factory for queries and appends
     * @param listenConnections an unpooled factory: one session is kept for {@code LISTEN}
     * @param meters where group commit's meters go ({@link GroupCommitStats})
     */
    public PostgresEventStore(ConnectionFactory connections, ConnectionFactory listenConnections, Settings settings,
            MeterRegistry meters) {
        this.connections = connections;
        this.groupCommit = new GroupCommit(connections, settings.batchSizeMax(), settings.batchesInFlightMax(),
                settings.queueMax(), commits::wake, meters);
        this.tail = new LogTail(this, commits, settings.pageSize(), settings.windowMax(), settings.idlePoll(),
                settings.heldBackPoll());
        this.listener = listen(listenConnections);
    }

    /**
     * Tuning of appends and of the tail of the log.
     *
     * @param batchSizeMax the most appends in one group commit
     * @param batchesInFlightMax group commits written at once
     * @param queueMax appends waiting for a group commit; past it an append is refused at once with
     *     {@link Overloaded} (admission control: a fast 503 instead of latency without bound)
     * @param pageSize the most events the tail reads at once
     * @param windowMax the most recent events the tail keeps in memory for its consumers
     * @param idlePoll how long a caught-up tail waits for a wake-up before it looks anyway: commits of
     *     this instance and {@code NOTIFY} of others wake it, so this only bounds a lost notification
     * @param heldBackPoll how soon it looks again while committed events wait behind a running transaction
     */
    public record Settings(int batchSizeMax, int batchesInFlightMax, int queueMax, int pageSize, int windowMax,
            Duration idlePoll, Duration heldBackPoll) {

        public Settings {
            if (batchSizeMax < 1 || batchesInFlightMax < 1 || queueMax < 1 || pageSize < 1 || windowMax < pageSize) {
                throw new IllegalArgumentException("sizes must be positive and the window must hold a page");
            }
        }

        public static Settings defaults() {
            return new Settings(500, 1, 5_000, 500, 20_000, Duration.ofSeconds(5), Duration.ofMillis(20));
        }
    }

    @Override
    public Mono<AppendResult> append(Append append) {
        return groupCommit.submit(append);
    }

    public GroupCommitStats groupCommitStats() {
        return groupCommit.stats();
    }

    /** The one reader of the log in this process, which every consumer follows. */
    public LogTail tail() {
        return tail;
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId streamId) {
        return query(READ_STREAM, s -> s.bind("$1", streamId.value()), PostgresEventStore::toRecordedEvent);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId streamId, long afterVersion) {
        if (afterVersion <= 0) {
            return readStream(streamId);
        }
        return query(READ_STREAM_AFTER, s -> s.bind("$1", streamId.value()).bind("$2", afterVersion),
                PostgresEventStore::toRecordedEvent);
    }

    @Override
    public Flux<RecordedEvent> readLog(LogPosition after, int limit) {
        if (limit < 1) {
            return Flux.error(new IllegalArgumentException("limit must be positive"));
        }
        return query(
                READ_LOG,
                s -> s.bind("$1", Long.toString(after.txid())).bind("$2", after.position()).bind("$3", limit),
                PostgresEventStore::toRecordedEvent);
    }

    /** From {@link #tail()}: the window in memory, the log itself while below it. */
    @Override
    public Flux<RecordedEvent> subscribe(LogPosition after) {
        return tail.subscribe(after);
    }

    @Override
    public Mono<LogPosition> logPositionOf(long position) {
        if (position <= 0) {
            return Mono.just(LogPosition.START);
        }
        return query(POSITION_OF, s -> s.bind("$1", position), row -> new LogPosition(
                        Long.parseLong(row.get("txid", String.class)), row.get("position", Long.class)))
                .next()
                .defaultIfEmpty(LogPosition.START);
    }

    @Override
    public Mono<java.util.Optional<AppendResult.IdempotentReplay>> idempotencyRecord(String scope, String key) {
        return query(IDEMPOTENCY_RECORD, s -> s.bind("$1", scope).bind("$2", key), row -> new AppendResult.IdempotentReplay(
                        row.get("fingerprint", String.class),
                        row.get("response_status", Integer.class),
                        row.get("response_body", String.class),
                        row.get("position", Long.class)))
                .next()
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty());
    }

    @Override
    public void close() {
        tail.close();
        listener.dispose();
    }

    /** The last event of the feed (below the oldest running transaction), or the start of an empty log. */
    Mono<LogPosition> feedHead() {
        return query(FEED_HEAD, s -> s, row -> new LogPosition(
                        Long.parseLong(row.get("txid", String.class)), row.get("position", Long.class)))
                .next()
                .defaultIfEmpty(LogPosition.START);
    }

    /** Up to {@code limit} events after {@code after} in feed order, and whether more wait behind a running transaction. */
    Mono<LogTail.Page> readLogPage(LogPosition after, int limit) {
        return Flux.usingWhen(
                        connections.create(),
                        connection -> Flux.from(connection.createStatement(READ_LOG_PAGE)
                                        .bind("$1", Long.toString(after.txid())).bind("$2", after.position()).bind("$3", limit)
                                        .execute())
                                .flatMap(result -> result.map(row -> new PageRow(
                                        row.get("position", Long.class) == null ? null : toRecordedEvent(row),
                                        Boolean.TRUE.equals(row.get("held", Boolean.class))))),
                        Connection::close)
                .collectList()
                .map(rows -> new LogTail.Page(
                        rows.stream().map(PageRow::event).filter(java.util.Objects::nonNull).toList(),
                        !rows.isEmpty() && rows.getFirst().held()));
    }

    private record PageRow(RecordedEvent event, boolean held) {}

    private <T> Flux<T> query(String sql, Function<Statement, Statement> binder, Function<Readable, T> mapper) {
        return Flux.usingWhen(
                connections.create(),
                connection -> Flux.from(binder.apply(connection.createStatement(sql)).execute())
                        .flatMap(result -> result.map(mapper)),
                Connection::close);
    }

    private Disposable listen(ConnectionFactory listenConnections) {
        return Flux.usingWhen(
                        listenConnections.create(),
                        connection -> {
                            PostgresqlConnection pg = (PostgresqlConnection) connection;
                            return pg.createStatement("LISTEN ledger_events")
                                    .execute()
                                    .flatMap(PostgresqlResult::getRowsUpdated)
                                    .doOnComplete(commits::wake) // catch up on anything missed while not listening
                                    .thenMany(pg.getNotifications());
                        },
                        Connection::close)
                .doOnNext(notification -> commits.wake())
                .doOnError(error -> log.warn("LISTEN connection lost, reconnecting: {}", error.toString()))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(5)))
                .subscribe();
    }

    static RecordedEvent toRecordedEvent(Readable row) {
        return new RecordedEvent(
                new LogPosition(Long.parseLong(row.get("txid", String.class)), row.get("position", Long.class)),
                StreamId.of(row.get("stream_id", String.class)),
                row.get("stream_version", Long.class),
                row.get("event_id", UUID.class),
                row.get("type", String.class),
                row.get("payload", String.class),
                row.get("metadata", String.class),
                row.get("recorded_at", OffsetDateTime.class).toInstant());
    }
}
