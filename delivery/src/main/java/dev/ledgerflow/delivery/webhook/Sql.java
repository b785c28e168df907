package dev.ledgerflow.delivery.webhook;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The few R2DBC moves the webhook tables need: statements with positional parameters, and transactions. */
final class Sql {

    /** A typed null parameter (R2DBC needs the type of a null). */
    record Null(Class<?> type) {}

    private final ConnectionFactory connections;

    Sql(ConnectionFactory connections) {
        this.connections = connections;
    }

    <T> Flux<T> query(String sql, Function<Readable, T> mapper, Object... params) {
        return Flux.usingWhen(connections.create(), c -> query(c, sql, mapper, params), Connection::close);
    }

    Mono<Long> update(String sql, Object... params) {
        return Mono.usingWhen(connections.create(), c -> update(c, sql, params), Connection::close);
    }

    /** Runs {@code work} in one transaction: committed when it completes, rolled back when it fails or is cancelled. */
    <T> Flux<T> inTransaction(Function<Connection, Publisher<T>> work) {
        return Flux.usingWhen(
                Mono.from(connections.create()).flatMap(c -> Mono.from(c.beginTransaction()).thenReturn(c)),
                work,
                c -> Mono.from(c.commitTransaction()).then(Mono.from(c.close())),
                (c, error) -> Mono.from(c.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.from(c.close())),
                c -> Mono.from(c.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.from(c.close())));
    }

    static <T> Flux<T> query(Connection connection, String sql, Function<Readable, T> mapper, Object... params) {
        return Flux.from(bind(connection.createStatement(sql), params).execute())
                .concatMap(result -> result.map(mapper::apply));
    }

    static Mono<Long> update(Connection connection, String sql, Object... params) {
        return Flux.from(bind(connection.createStatement(sql), params).execute())
                .concatMap(result -> result.getRowsUpdated())
                .reduce(0L, Long::sum);
    }

    static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Statement bind(Statement statement, Object... params) {
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            if (value instanceof Null typed) {
                statement.bindNull(i, typed.type());
            } else if (value instanceof Instant instant) {
                statement.bind(i, utc(instant));
            } else if (value == null) {
                throw new IllegalArgumentException("parameter $" + (i + 1) + " is null: pass Sql.Null with its type");
            } else {
                statement.bind(i, value);
            }
        }
        return statement;
    }
}
