package dev.ledgerflow.projections.projector;

import io.r2dbc.postgresql.api.PostgresTransactionDefinition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Small helpers for running SQL over R2DBC: one statement, its rows mapped, the connection released. */
public final class Sql {

    /**
     * A read-only, repeatable-read transaction: one consistent snapshot for a long read. Begun through
     * the driver (not with SQL), so the pool knows it is open and rolls it back if a reader is cancelled.
     */
    public static final TransactionDefinition SNAPSHOT =
            PostgresTransactionDefinition.from(IsolationLevel.REPEATABLE_READ).readOnly();

    private Sql() {}

    /** Rows of one query on a connection taken from {@code connections} for its duration. */
    public static <T> Flux<T> query(ConnectionFactory connections, String sql, Function<Statement, Statement> binder,
            Function<Readable, T> mapper) {
        return Flux.usingWhen(connections.create(), connection -> query(connection, sql, binder, mapper), Connection::close);
    }

    /** Rows of one query on an open connection (inside its transaction, if any). */
    public static <T> Flux<T> query(Connection connection, String sql, Function<Statement, Statement> binder,
            Function<Readable, T> mapper) {
        return Flux.from(binder.apply(connection.createStatement(sql)).execute())
                .concatMap(result -> Flux.from(result.map(mapper)));
    }

    /** Runs one statement on an open connection; completes with the number of rows it changed. */
    public static Mono<Long> update(Connection connection, String sql, Function<Statement, Statement> binder) {
        return Flux.from(binder.apply(connection.createStatement(sql)).execute())
                .concatMap(result -> Flux.from(result.getRowsUpdated()))
                .reduce(0L, Long::sum);
    }

    /** Runs one statement on a connection of its own (autocommit). */
    public static Mono<Long> update(ConnectionFactory connections, String sql, Function<Statement, Statement> binder) {
        return Mono.usingWhen(connections.create(), connection -> update(connection, sql, binder), Connection::close);
    }

    /** Whether {@code error} says a table does not exist (SQLSTATE 42P01): a generation that was dropped. */
    public static boolean undefinedTable(Throwable error) {
        return error instanceof R2dbcException e && "42P01".equals(e.getSqlState());
    }

    /** A column as a {@code long}, 0 when SQL null. */
    public static long longOrZero(Readable row, String column) {
        Number value = row.get(column, Number.class);
        return value == null ? 0 : value.longValue();
    }
}
