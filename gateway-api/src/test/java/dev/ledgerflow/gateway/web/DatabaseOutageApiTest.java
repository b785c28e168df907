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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageApiTest {

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

        postgres = EmbeddedPostgresServer.start(data, true, false, port);

        await().atMost(Duration.ofSeconds(60)).until(() -> merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":100}",
                "outage-1").returnResult(String.class).getStatus().is2xxSuccessful());
        assertThat(merchant.available(account)).isEqualTo(600);
        http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.postgres.status").isEqualTo("UP");
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
