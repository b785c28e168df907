package dev.ledgerflow.core.feed;

import dev.ledgerflow.core.eventstore.LogPosition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The saved place of each named consumer of the feed, one row of {@code consumer_checkpoints} per
 * name: the feed position of the last event it finished, to resume after.
 */
public final class CheckpointStore {

    private static final String LOAD = "select txid, position from consumer_checkpoints where name = $1";
    // Never backwards: a save racing a newer one (a stopping consumer's last write against its
    // successor's first) must not make the consumer hand over what it already finished.
    private static final String SAVE = "insert into consumer_checkpoints as c (name, txid, position, updated_at)"
            + " values ($1, $2, $3, now())"
            + " on conflict (name) do update set txid = excluded.txid, position = excluded.position,"
            + " updated_at = excluded.updated_at"
            + " where (c.txid, c.position) <= (excluded.txid, excluded.position)";
    private static final String RESET = "insert into consumer_checkpoints as c (name, txid, position, updated_at)"
            + " values ($1, $2, $3, now())"
            + " on conflict (name) do update set txid = excluded.txid, position = excluded.position,"
            + " updated_at = excluded.updated_at";

    private final ConnectionFactory connections;

    /** @param connections a pooled factory */
    public CheckpointStore(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** Every event of the feed, under the checkpoint of {@code name}: a consumer that runs on one instance. */
    public FeedScope scope(String name) {
        return new FeedScope() {
            @Override
            public Mono<LogPosition> load() {
                return CheckpointStore.this.load(name);
            }

            @Override
            public Mono<Void> save(LogPosition position) {
                return CheckpointStore.this.save(name, position);
            }
        };
    }

    /** The saved checkpoint of {@code name}, or {@link LogPosition#START} when it has none yet. */
    public Mono<LogPosition> load(String name) {
        return execute(LOAD, s -> s.bind("$1", name), result -> Flux.from(result.map(row ->
                        new LogPosition(row.get("txid", Long.class), row.get("position", Long.class)))))
                .next()
                .defaultIfEmpty(LogPosition.START);
    }

    /** Moves the checkpoint of {@code name} forward to {@code position}; an older position changes nothing. */
    public Mono<Void> save(String name, LogPosition position) {
        return write(SAVE, name, position);
    }

    /** Sets the checkpoint of {@code name} to {@code position}, also backwards: for a rebuild or a replay. */
    public Mono<Void> reset(String name, LogPosition position) {
        return write(RESET, name, position);
    }

    private Mono<Void> write(String sql, String name, LogPosition position) {
        return execute(sql,
                        s -> s.bind("$1", name).bind("$2", position.txid()).bind("$3", position.position()),
                        result -> Flux.from(result.getRowsUpdated()))
                .then();
    }

    private <T> Flux<T> execute(
            String sql, Function<Statement, Statement> binder, Function<Result, Flux<T>> reader) {
        return Flux.usingWhen(
                connections.create(),
                connection -> Flux.from(binder.apply(connection.createStatement(sql)).execute()).concatMap(reader),
                Connection::close);
    }
}
