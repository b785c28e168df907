package dev.ledgerflow.core.sql;

import io.r2dbc.postgresql.api.PostgresTransactionDefinition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one way this code base runs SQL over R2DBC: a statement, its rows mapped, the connection
 * released; and a transaction that commits when its work completes and rolls back when it fails or is
 * cancelled. Parameters are bound either by a binder ({@code s -> s.bind("$1", …)}) or positionally
 * ({@code $1, $2, …} from the arguments, in order; a SQL null as {@link Null} with its type, an
 * {@link Instant} as a UTC timestamp).
 *
 * <p>Use the static methods with a connection that is already open (inside a transaction), or those
 * taking the {@link ConnectionFactory}, which borrow a connection for the one statement; an instance
 * ({@link #on}) keeps the factory for the positional forms.
 */
public final class Sql {

    /**
     * A read-only, repeatable-read transaction: one consistent snapshot for a long read. Begun through
     * the driver (not with SQL), so the pool knows it is open and rolls it back if a reader is cancelled.
     */
    public static final TransactionDefinition SNAPSHOT =
            PostgresTransactionDefinition.from(IsolationLevel.REPEATABLE_READ).readOnly();

    /** A typed SQL null as a positional parameter (R2DBC needs the type of a null). */
    public record Null(Class<?> type) {}

    private final ConnectionFactory connections;

    private Sql(ConnectionFactory connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
    }

    /** Statements with positional parameters, each on a connection of its own from {@code connections}. */
    public static Sql on(ConnectionFactory connections) {
        return new Sql(connections);
    }

    /** Rows of one query, parameters by position. */
    public <T> Flux<T> query(String sql, Function<Readable, T> mapper, Object... params) {
        return Flux.usingWhen(connections.create(), c -> query(c, sql, mapper, params), Connection::close);
    }

    /** Runs one statement (autocommit), parameters by position; the number of rows it changed. */
    public Mono<Long> update(String sql, Object... params) {
        return Mono.usingWhen(connections.create(), c -> update(c, sql, params), Connection::close);
    }

    /** Runs {@code work} in one transaction: committed when it completes, rolled back when it fails or is cancelled. */
    public <T> Flux<T> inTransaction(Function<Connection, Publisher<T>> work) {
        return inTransaction(connections, work);
    }

    /**
     * Runs {@code work} in one transaction on a connection of its own from {@code connections}. The
     * {@code Flux} completes only after {@code COMMIT} has answered (the commit is durable then), and fails
     * if the commit fails; the connection goes back to the pool whatever happens.
     */
    public static <T> Flux<T> inTransaction(ConnectionFactory connections, Function<Connection, Publisher<T>> work) {
        return Flux.usingWhen(
                connections.create(),
                c -> Mono.from(c.beginTransaction())
                        .thenMany(Flux.defer(() -> work.apply(c)))
                        .concatWith(Mono.from(c.commitTransaction()).then(Mono.empty())),
                Connection::close,
                (c, error) -> Mono.from(c.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.from(c.close())),
                c -> Mono.from(c.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.from(c.close())));
    }

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

    /** Rows of one query on an open connection, parameters by position. */
    public static <T> Flux<T> query(Connection connection, String sql, Function<Readable, T> mapper, Object... params) {
        return query(connection, sql, statement -> bind(statement, params), mapper);
    }

    /** Runs one statement on an open connection; completes with the number of rows it changed. */
    public static Mono<Long> update(Connection connection, String sql, Function<Statement, Statement> binder) {
        return Flux.from(binder.apply(connection.createStatement(sql)).execute())
                .concatMap(result -> Flux.from(result.getRowsUpdated()))
                .reduce(0L, Long::sum);
    }

    /** Runs one statement on an open connection, parameters by position; the number of rows it changed. */
    public static Mono<Long> update(Connection connection, String sql, Object... params) {
        return update(connection, sql, statement -> bind(statement, params));
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

    /** A {@code timestamptz} column as an instant, null when SQL null. */
    public static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** An instant as the UTC timestamp a {@code timestamptz} parameter takes. */
    public static OffsetDateTime utc(Instant instant) {
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
