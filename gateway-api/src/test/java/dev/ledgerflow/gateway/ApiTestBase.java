package dev.ledgerflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Base of the full-HTTP tests: the service on a random port over real PostgreSQL and Redis. */
@ApiTest
public abstract class ApiTestBase {

    @Autowired
    protected WebTestClient http;

    /** Generous: the first call of a context (e.g. generating the OpenAPI document) can be slow on a busy machine. */
    @org.junit.jupiter.api.BeforeEach
    void patientClient() {
        http = http.mutate().responseTimeout(java.time.Duration.ofSeconds(60)).build();
    }

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        TestServers.register(registry);
    }

    /** What Prometheus reads from {@code /actuator/prometheus} right now. */
    protected String scrape() {
        return http.get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    }

    /** The value of the one sample of {@code name} in {@code scrape} whose labels include every one of {@code labels}. */
    protected static double sample(String scrape, String name, String... labels) {
        List<String> lines = scrape.lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .filter(line -> List.of(labels).stream().allMatch(line::contains))
                .toList();
        assertThat(lines).as("%s with %s on /actuator/prometheus", name, List.of(labels)).hasSize(1);
        String line = lines.getFirst();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /**
     * The current time once the clock has moved past {@code instant}: what separates two writes in time
     * for a test of time filters, waiting for that and nothing more (no fixed sleep).
     */
    protected static Instant clockPast(Instant instant) {
        await().atMost(Duration.ofSeconds(1)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .until(() -> Instant.now().isAfter(instant));
        return Instant.now();
    }
}
