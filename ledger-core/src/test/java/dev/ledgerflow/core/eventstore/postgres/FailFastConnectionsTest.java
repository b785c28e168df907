package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.testing.EmbeddedPostgresServer;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A pool on a PostgreSQL server of the test's own that it stops and starts: once a connect failed,
 * borrowing is refused without trying to connect (what makes a 503 fast) until the background probe
 * connects again; a failing statement on a database that is up never refuses anything.
 */
class FailFastConnectionsTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    Path data;
    int port;
    EmbeddedPostgresServer postgres;
    ConnectionPool pool;

    @BeforeEach
    void start() throws IOException {
        data = Files.createTempDirectory("fail-fast-postgres");
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        postgres = EmbeddedPostgresServer.start(data, true, false, port);
        pool = PostgresConnections.pooled(postgres.settings("postgres"), "fail-fast-test", 4);
    }

    @AfterEach
    void stop() {
        pool.dispose();
        postgres.close();
    }

    @Test
    void a_failing_statement_on_a_database_that_is_up_refuses_nothing() {
        assertThatThrownBy(() -> query("select * from no_such_table").block(WAIT)).hasMessageContaining("no_such_table");

        assertThat(query("select 1").block(WAIT)).isEqualTo(1);
    }

    @Test
    void with_the_server_gone_borrowing_is_refused_without_connecting_until_a_probe_connects_again() {
        assertThat(query("select 1").block(WAIT)).isEqualTo(1);

        postgres.close();

        // The sessions the pool held die with the server, then a connect fails: the outage is noticed.
        await().atMost(WAIT).untilAsserted(() -> assertThatThrownBy(() -> query("select 1").block(WAIT))
                .satisfies(error -> assertThat(PostgresUnavailable.explains(error)).isTrue())
                .satisfies(error -> assertThat(refused(error)).as("refused without connecting: %s", error).isTrue()));
        assertThatThrownBy(() -> query("select 1").block(WAIT))
                .satisfies(error -> assertThat(refused(error)).as("still refused: %s", error).isTrue());

        postgres = EmbeddedPostgresServer.start(data, true, false, port);

        // Refused until the probe (every 250 ms) connects to the server started again; then served.
        await().atMost(WAIT).until(() -> query("select 1").onErrorResume(FailFastConnections.Refused.class, e -> Mono.empty())
                .block(WAIT) != null);
        assertThat(query("select 1").block(WAIT)).isEqualTo(1);
    }

    private static boolean refused(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof FailFastConnections.Refused) {
                return true;
            }
        }
        return false;
    }

    private Mono<Integer> query(String sql) {
        return Mono.usingWhen(pool.create(),
                c -> Flux.from(c.createStatement(sql).execute()).flatMap(r -> r.map(row -> row.get(0, Integer.class))).next(),
                Connection::close);
    }
}
