package dev.ledgerflow.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.LedgerflowApplication;
import dev.ledgerflow.testing.EmbeddedPostgresServer;
import dev.ledgerflow.testing.TestRedis;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Start-up against a PostgreSQL that is not there: one line says which server, what failed and what
 * to check; the service waits {@code ledger.postgres-startup-wait} for it, starts if it comes, and
 * otherwise stops with that line instead of Flyway's stack traces.
 */
@ExtendWith(OutputCaptureExtension.class)
class PostgresStartupTest {

    static ConfigurableApplicationContext start(int postgresPort, String wait) {
        return new SpringApplicationBuilder(LedgerflowApplication.class).run(
                "--server.port=0", "--ledger.postgres-url=postgresql://postgres@localhost:" + postgresPort + "/ledgerflow",
                "--ledger.postgres-startup-wait=" + wait, "--ledger.redis-url=" + TestRedis.url(),
                "--ledger.admin-key=" + ApiTest.ADMIN_KEY, "--ledger.api-keys.hash-key=" + ApiTest.API_KEYS_HASH_KEY,
                "--ledger.webhooks.secrets.key=" + ApiTest.WEBHOOK_SECRETS_KEY);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void with_nobody_listening_it_stops_after_the_wait_with_one_line_and_no_stack_trace(CapturedOutput output) throws Exception {
        int port = freePort();

        assertThatThrownBy(() -> start(port, "1s").close())
                .hasStackTraceContaining("PostgreSQL at postgresql://postgres@localhost:" + port
                        + "/ledgerflow is not reachable after 1 s: Connection to localhost:" + port + " refused");

        String log = output.getAll();
        assertThat(log).contains("APPLICATION FAILED TO START")
                .contains("PostgreSQL at postgresql://postgres@localhost:" + port + "/ledgerflow is not reachable: Connection to localhost:"
                        + port + " refused. Check that PostgreSQL runs and that LEDGER_POSTGRES_URL names its host and port."
                        + " Waiting up to 1 s (LEDGER_POSTGRES_STARTUP_WAIT).")
                .doesNotContain("org.flywaydb")
                .doesNotContain("\tat ");
    }

    @Test
    void a_wait_of_zero_fails_at_once() throws Exception {
        int port = freePort();

        assertThatThrownBy(() -> start(port, "0s").close())
                .hasStackTraceContaining("is not reachable after 0 s");
    }

    @Test
    void a_database_that_comes_up_during_the_wait_is_used(CapturedOutput output) throws Exception {
        Path data = Files.createTempDirectory("late-postgres");
        int port = freePort();
        try (var postgres = EmbeddedPostgresServer.start(data, true, false, port)) {
            postgres.createDatabase("ledgerflow");
        }

        CompletableFuture<ConfigurableApplicationContext> starting = CompletableFuture.supplyAsync(() -> start(port, "2m"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> output.getAll().contains("postgres@localhost:" + port + "/ledgerflow is not reachable"));
        assertThat(starting).isNotDone();

        try (var postgres = EmbeddedPostgresServer.start(data, true, false, port);
                var context = starting.get()) {
            assertThat(context.isRunning()).isTrue();
            assertThat(output.getAll()).contains("PostgreSQL at postgresql://postgres@localhost:" + port + "/ledgerflow is reachable after");
        }
    }
}
