package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.testing.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A pooled session is handed out only outside a transaction. A reader that began one with SQL and was
 * released without ending it (cancelled between statements, say) must not pass its open transaction,
 * snapshot and locks on: the next borrower's {@code start transaction isolation level ...} would fail
 * with "must be called before any query" (SQLSTATE 25001), as a CI run once showed.
 */
class PostgresConnectionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void a_session_released_inside_a_transaction_comes_back_rolled_back() {
        ConnectionPool pool = PostgresConnections.pooled(TestPostgres.freshDatabase(), "pool-test", 1);
        try {
            Mono.usingWhen(pool.create(),
                            c -> update(c, "begin").then(update(c, "create temporary table left_open (x int)")),
                            Connection::close)
                    .block(WAIT);

            String answer = Mono.usingWhen(pool.create(),
                            c -> Mono.fromSupplier(c::isAutoCommit)
                                    .flatMap(idle -> update(c, "start transaction isolation level repeatable read")
                                            .then(query(c, "select to_regclass('left_open')::text as t"))
                                            .flatMap(table -> update(c, "commit").thenReturn(idle + "/" + table))),
                            Connection::close)
                    .block(WAIT);

            assertThat(answer).as("idle on borrow / the first borrower's table").isEqualTo("true/null");
        } finally {
            pool.dispose();
        }
    }

    private static Mono<Long> update(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute()).flatMap(r -> r.getRowsUpdated()).reduce(0L, Long::sum);
    }

    private static Mono<String> query(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute())
                .flatMap(r -> r.map(row -> String.valueOf(row.get("t", String.class))))
                .next();
    }
}
