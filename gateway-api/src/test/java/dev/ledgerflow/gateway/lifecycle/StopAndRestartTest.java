package dev.ledgerflow.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default as a user runs it, in a process of its own: a SIGTERM under load drains the
 * requests, stops the consumers with their checkpoints saved, then Redis and PostgreSQL, logging no
 * warning or error and losing no acknowledged payment; a SIGKILL leaves PostgreSQL and Redis serving,
 * and the next start on the same data folder stops them before starting its own.
 */
class StopAndRestartTest {

    private static final String ADMIN_KEY = "ak_stop_test_" + UUID.randomUUID().toString().replace("-", "");
    private static final Pattern PAYMENT_ID = Pattern.compile("\"id\":\"(pay_[^\"]+)\"");
    private static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z_]+)\"");
    private static final Pattern WARN_OR_ERROR = Pattern.compile("\\b(WARN|ERROR)\\b|Exception");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path data;

    @Test
    @Disabled("open: in this harness the child exits 143 on SIGTERM but none of its stop lines reach the pipe "
            + "(a manual SIGTERM of the same command prints the quiet ordered stop); not yet explained")
    void a_sigterm_under_load_stops_quietly_and_a_restart_finds_every_acknowledged_payment() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        try (LedgerflowProcess first = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
            AtomicBoolean loading = new AtomicBoolean(true);
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> load = new ArrayList<>();
            for (int client = 0; client < 8; client++) {
                load.add(clients.submit(() -> createPaymentsUntil(first, loading, acknowledged)));
            }
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (acknowledged.size() < 50 && Instant.now().isBefore(deadline)) {
                Thread.sleep(50); // waiting for a positive signal: payments acknowledged under load
            }
            assertThat(acknowledged).as("payments acknowledged before the stop").hasSizeGreaterThanOrEqualTo(50);

            int linesBeforeStop = first.lines().size();
            int exit = first.terminate();
            loading.set(false);
            for (Future<?> client : load) {
                client.get();
            }
            clients.close();

            assertThat(exit).as("exit status after SIGTERM").isEqualTo(143);
            List<String> stopLines = first.lines().subList(linesBeforeStop, first.lines().size());
            assertThat(stopLines).as("what the stop printed, after:\n%s", String.join("\n", first.lines().subList(
                    Math.max(0, linesBeforeStop - 30), linesBeforeStop))).noneMatch(line -> WARN_OR_ERROR.matcher(line).find());
            assertThat(stopLines).as("what the stop printed, after:\n%s", String.join("\n", first.lines().subList(
                    Math.max(0, linesBeforeStop - 30), linesBeforeStop))).anyMatch(line -> line.contains("Graceful shutdown complete"));
            assertThat(stopLines).anyMatch(line -> line.contains("Feed consumer payment-processor stopped at"));
            assertThat(stopLines.getLast()).isEqualTo("Ledgerflow stopped");
            assertThat(postmasterPid()).as("PostgreSQL stopped with the service").isEmpty();
        }

        try (LedgerflowProcess second = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
            for (String payment : acknowledged) {
                assertThat(statusOnceFinal(second, payment)).as(payment).isEqualTo("succeeded");
            }
        }
    }

    @Test
    void a_generated_admin_key_is_kept_with_the_data_and_printed_as_lines_to_paste() throws Exception {
        String adminKey;
        String demoKey;
        try (LedgerflowProcess first = LedgerflowProcess.start(data, Map.of())) {
            adminKey = first.adminKey;
            demoKey = first.demoKey;
            assertThat(adminKey).startsWith("ak_");
            assertThat(first.lines()).contains("  export KEY=" + demoKey, "  export LEDGER_ADMIN_KEY=" + adminKey);
            assertThat(Files.readString(data.resolve("admin-key")).strip()).isEqualTo(adminKey);
            assertThat(status(first, "/admin/projections", adminKey)).isEqualTo(200);
            assertThat(first.terminate()).isEqualTo(143);
        }
        try (LedgerflowProcess second = LedgerflowProcess.start(data, Map.of())) {
            assertThat(second.adminKey).as("the same admin key after a restart").isEqualTo(adminKey);
            assertThat(second.demoKey).isEqualTo(demoKey);
            assertThat(status(second, "/admin/projections", adminKey)).isEqualTo(200);
            assertThat(second.terminate()).isEqualTo(143);
        }
    }

    private int status(LedgerflowProcess service, String path, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + path))
                        .header("Authorization", "Bearer " + key).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void a_start_after_a_hard_kill_stops_the_postgresql_and_redis_the_killed_run_left_serving() throws Exception {
        long orphanPostgres;
        long orphanRedis;
        try (LedgerflowProcess first = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
            String payment = createPayment(first).orElseThrow();
            first.kill();
            orphanPostgres = postmasterPid().orElseThrow();
            orphanRedis = Long.parseLong(Files.readString(data.resolve("redis/redis.pid")).strip());
            assertThat(ProcessHandle.of(orphanPostgres)).as("PostgreSQL outlives a killed JVM").hasValueSatisfying(
                    process -> assertThat(process.isAlive()).isTrue());

            try (LedgerflowProcess second = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
                assertThat(ProcessHandle.of(orphanPostgres).filter(ProcessHandle::isAlive)).isEmpty();
                assertThat(ProcessHandle.of(orphanRedis).filter(ProcessHandle::isAlive)).isEmpty();
                assertThat(second.lines()).anyMatch(line -> line.startsWith("Stopping the postgres server (pid "
                        + orphanPostgres + ")"));
                assertThat(statusOnceFinal(second, payment)).isEqualTo("succeeded");
                assertThat(second.terminate()).isEqualTo(143);
            }
        }
        assertThat(postmasterPid()).isEmpty();
        assertThat(data.resolve("redis/redis.pid")).doesNotExist();
    }

    private void createPaymentsUntil(LedgerflowProcess service, AtomicBoolean loading, Set<String> acknowledged) {
        while (loading.get() && service.isAlive()) {
            createPayment(service).ifPresent(acknowledged::add);
        }
    }

    /** A card payment; its id when the service answered 2xx (acknowledged), empty on any failure. */
    private Optional<String> createPayment(LedgerflowProcess service) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/payments"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + service.demoKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"amount":1250,"currency":"USD","source":{"type":"card","number":"4242424242424242",\
                        "exp_month":12,"exp_year":2030,"cvc":"123"}}"""))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            Matcher id = PAYMENT_ID.matcher(response.body());
            return response.statusCode() / 100 == 2 && id.find() ? Optional.of(id.group(1)) : Optional.empty();
        } catch (java.io.IOException e) {
            return Optional.empty(); // refused or cut off while stopping: not acknowledged
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The payment's status once it left {@code processing} (the processor resumes from its checkpoint). */
    private String statusOnceFinal(LedgerflowProcess service, String payment) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
        while (true) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/payments/" + payment))
                    .header("Authorization", "Bearer " + service.demoKey).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(payment + ": " + response.body()).isEqualTo(200);
            Matcher status = STATUS.matcher(response.body());
            assertThat(status.find()).isTrue();
            if (!status.group(1).equals("processing") || Instant.now().isAfter(deadline)) {
                return status.group(1);
            }
            Thread.sleep(100);
        }
    }

    private Optional<Long> postmasterPid() throws java.io.IOException {
        Path pidFile = data.resolve("postgres/postmaster.pid");
        return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readAllLines(pidFile).getFirst().strip()))
                : Optional.empty();
    }
}
