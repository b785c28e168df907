package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.testing.EmbeddedPostgresServer;
import dev.ledgerflow.testing.TestRedis;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * PostgreSQL read-only, then gone, then back: writes answer 503 {@code unavailable} with
 * {@code Retry-After} (never 500, never a hang), nothing is half-written, health goes DOWN, and the
 * service recovers by itself once the database is back, without a restart.
 */
@ApiTest
// Its service points at a PostgreSQL this class stops: closed after the class, not left cached and retrying for the
// rest of the suite.
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageApiTest {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutageApiTest.class);

    private static Path data;
    private static int port;
    private static EmbeddedPostgresServer postgres;

    @Autowired
    WebTestClient http;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws IOException {
        data = Files.createTempDirectory("outage-postgres");
        port = freePort();
        postgres = EmbeddedPostgresServer.start(data, true, false, port);
        postgres.createDatabase("ledgerflow");
        String url = postgres.settings("ledgerflow").url();
        registry.add("ledger.postgres-url", () -> url);
        registry.add("ledger.redis-url", TestRedis::url);
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @BeforeEach
    void patientClient() {
        // Bounds "never hangs": an answer must come well within this, or the test fails.
        http = http.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    @Order(1)
    void a_read_only_database_answers_writes_503_unavailable_stores_nothing_and_recovers_when_it_clears() throws Exception {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("EUR", 0);
        merchant.deposit(account, 500);

        sql("alter system set default_transaction_read_only = on", "select pg_reload_conf()");
        await().atMost(Duration.ofSeconds(30)).until(() -> merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}")
                .returnResult(String.class).getStatus().value() == 503);

        merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}", "read-only-1")
                .expectStatus().isEqualTo(503)
                .expectHeader().exists("Retry-After")
                .expectHeader().contentType("application/problem+json")
                .expectBody()
                .jsonPath("$.code").isEqualTo("unavailable")
                .jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("read-only"));
        assertThat(merchant.available(account)).isEqualTo(500); // reads still answer, and nothing was written

        sql("alter system reset default_transaction_read_only", "select pg_reload_conf()");
        await().atMost(Duration.ofSeconds(30)).until(() -> merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}",
                "read-only-1").returnResult(String.class).getStatus().is2xxSuccessful());
        assertThat(merchant.available(account)).isEqualTo(600);
    }

    @Test
    @Order(2)
    void with_postgres_gone_writes_answer_503_unavailable_health_is_down_and_all_recovers_when_it_is_back() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("EUR", 0);
        merchant.deposit(account, 500);

        postgres.close();

        merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}", "outage-1")
                .expectStatus().isEqualTo(503)
                .expectHeader().exists("Retry-After")
                .expectBody()
                .jsonPath("$.code").isEqualTo("unavailable");
        http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isEqualTo(503)
                .expectBody()
                .jsonPath("$.components.postgres.status").isEqualTo("DOWN");
        // Known down, the service answers at once: the pools refuse to connect until a probe in the
        // background finds the database back (FailFastConnections), so no write pays a connect attempt.
        // The bounds are generous for a busy machine (measured: 11-180 ms on two shared, saturated cores) and
        // below a connect that waits.
        List<Long> answerMs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answerMs.add(timedUnavailableWrite(merchant, account, "outage-fast-" + i));
        }
        log.info("Writes while PostgreSQL is down answered 503 in {} ms", answerMs);
        assertThat(answerMs.stream().sorted().toList().get(answerMs.size() / 2)).as("median of %s ms", answerMs).isLessThan(200);
        assertThat(Collections.max(answerMs)).as("slowest of %s ms", answerMs).isLessThan(600);

        postgres = EmbeddedPostgresServer.start(data, true, false, port);

        await().atMost(Duration.ofSeconds(60)).until(() -> merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}",
                "outage-1").returnResult(String.class).getStatus().is2xxSuccessful());
        assertThat(merchant.available(account)).isEqualTo(600);
        http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.postgres.status").isEqualTo("UP");
    }

    /** Sends a write and checks that it answers 503 unavailable with Retry-After; the milliseconds it took. */
    private static long timedUnavailableWrite(ApiClient merchant, String account, String idempotencyKey) {
        long startedAt = System.nanoTime();
        merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}", idempotencyKey)
                .expectStatus().isEqualTo(503)
                .expectHeader().exists("Retry-After")
                .expectBody()
                .jsonPath("$.code").isEqualTo("unavailable");
        return Duration.ofNanos(System.nanoTime() - startedAt).toMillis();
    }

    private static void sql(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/ledgerflow?user=postgres");
                Statement s = c.createStatement()) {
            s.execute("set default_transaction_read_only = off");
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
