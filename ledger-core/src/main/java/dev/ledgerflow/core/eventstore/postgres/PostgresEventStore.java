package dev.ledgerflow.core.eventstore.postgres;

import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.api.PostgresqlResult;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
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
 * that commits late; subscribers are woken by {@code LISTEN/NOTIFY} and by local commits.
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
    // Ordered by the columns (events.txid), not by the "txid" text alias of the select list: a bare
    // name in ORDER BY means the output column, and text order puts txid 1000 before 999.
    private static final String READ_LOG = "select " + COLUMNS + " from events"
            + " where (txid, position) > ($1::text::xid8, $2) and txid < pg_snapshot_xmin(pg_current_snapshot())"
            + " order by events.txid, events.position limit $3";
    private static final String HELD_BACK =
            "select exists (select 1 from events where txid >= pg_snapshot_xmin(pg_current_snapshot())) as held";
    private static final String POSITION_OF =
            "select txid::text as txid, position from events where position <= $1 order by position desc limit 1";

    private static final String IDEMPOTENCY_RECORD = "select fingerprint, response_status, response_body, position"
            + " from idempotency_keys where scope = $1 and key = $2 and expires_at > now()";

    private final ConnectionFactory connections;
    private final GroupCommit groupCommit;
    private final FeedSignal signal = new FeedSignal();
    private final Settings settings;
    private final Disposable listener;

    /**
     * @param connections a pooled factory for queries and appends
     * @param listenConnections an unpooled factory: one session is kept for {@code LISTEN}
     */
    public PostgresEventStore(ConnectionFactory connections, ConnectionFactory listenConnections, Settings settings) {
        this.connections = connections;
        this.settings = settings;
        this.groupCommit = new GroupCommit(connections, settings.batchSizeMax(), settings.batchesInFlightMax(), signal::wake);
        this.listener = listen(listenConnections);
    }

    /** Tuning of appends and subscriptions. */
    public record Settings(int batchSizeMax, int batchesInFlightMax, int pageSize, Duration idlePoll, Duration heldBackPoll) {
        public static Settings defaults() {
            return new Settings(500, 1, 500, Duration.ofSeconds(1), Duration.ofMillis(20));
        }
    }

    @Override
    public Mono<AppendResult> append(Append append) {
        return groupCommit.submit(append);
    }

    public GroupCommitStats groupCommitStats() {
        return groupCommit.stats();
    }

    /** Wake-ups of the feed; other readers of the log (projectors) may wait on it too. */
    public FeedSignal feedSignal() {
        return signal;
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

    @Override
    public Flux<RecordedEvent> subscribe(LogPosition after) {
        return Flux.defer(() -> {
            Cursor cursor = new Cursor(after);
            Mono<List<RecordedEvent>> nextPage = Mono.defer(() -> cursor.gate(this))
                    .then(Mono.defer(() -> {
                        cursor.seen = signal.current();
                        return readLog(cursor.position, settings.pageSize()).collectList();
                    }))
                    .flatMap(page -> cursor.advance(page, settings.pageSize(), this));
            return nextPage.repeat().concatMapIterable(Function.identity(), 1);
        });
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
        listener.dispose();
    }

    /** Whether committed events wait behind a still-running transaction. */
    Mono<Boolean> heldBack() {
        return query(HELD_BACK, s -> s, row -> row.get("held", Boolean.class)).next().defaultIfEmpty(false);
    }

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
                                    .doOnComplete(signal::wake) // catch up on anything missed while not listening
                                    .thenMany(pg.getNotifications());
                        },
                        Connection::close)
                .doOnNext(notification -> signal.wake())
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

    /** The state of one subscription between pages. */
    private static final class Cursor {
        LogPosition position;
        long seen;
        boolean caughtUp;
        boolean heldBack;

        Cursor(LogPosition position) {
            this.position = position;
        }

        /** Before reading again after a short page: wait for a wake-up or a poll interval. */
        Mono<Void> gate(PostgresEventStore store) {
            if (!caughtUp) {
                return Mono.empty();
            }
            Duration wait = heldBack ? store.settings.heldBackPoll() : store.settings.idlePoll();
            return store.signal.awaitAfter(seen, wait);
        }

        Mono<List<RecordedEvent>> advance(List<RecordedEvent> page, int pageSize, PostgresEventStore store) {
            if (!page.isEmpty()) {
                position = page.getLast().logPosition();
            }
            caughtUp = page.size() < pageSize;
            if (!caughtUp) {
                heldBack = false;
                return Mono.just(page);
            }
            return store.heldBack().map(held -> {
                heldBack = held;
                return page;
            });
        }
    }
}
