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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void a_sigterm_under_load_stops_quietly_and_a_restart_finds_every_acknowledged_payment_once() throws Exception {
        Load load = new Load();
        try (LedgerflowProcess first = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
            AtomicBoolean loading = new AtomicBoolean(true);
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> running = new ArrayList<>();
            for (int client = 0; client < 8; client++) {
                running.add(clients.submit(() -> createPaymentsUntil(first, loading, load)));
            }
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (load.acknowledged.size() < 50 && Instant.now().isBefore(deadline)) {
                Thread.sleep(50); // waiting for a positive signal: payments acknowledged under load
            }
            assertThat(load.acknowledged).as("payments acknowledged before the stop").hasSizeGreaterThanOrEqualTo(50);

            // The load goes on through the stop: each client sends until its connection is refused or cut off.
            int linesBeforeStop = first.lines().size();
            int acknowledgedBeforeStop = load.acknowledged.size();
            long stopStarted = System.nanoTime();
            int exit = first.terminate();
            Duration stopTook = Duration.ofNanos(System.nanoTime() - stopStarted);
            loading.set(false);
            for (Future<?> client : running) {
                client.get();
            }
            clients.close();

            assertThat(exit).as("exit status after SIGTERM: the JVM ran its shutdown hooks").isEqualTo(143);
            assertThat(stopTook).as("SIGTERM to exit").isLessThan(STOP_MAX);
            List<String> lines = first.lines();
            List<String> stopLines = lines.subList(linesBeforeStop, lines.size());
            String printed = "what the stop printed:\n" + String.join("\n", stopLines.stream()
                    .filter(line -> !line.contains(" ledgerflow.access - ")).toList());
            assertThat(stopLines).as(printed).noneMatch(line -> WARN_OR_ERROR.matcher(line).find());
            assertThat(stopLines).as(printed).anyMatch(line -> line.contains("Graceful shutdown complete"));
            assertThat(stopLines).as(printed).anyMatch(line -> line.contains("Feed consumer payment-processor stopped at"));
            assertThat(stopLines.getLast()).as(printed).isEqualTo("Ledgerflow stopped");
            assertThat(postmasterPid()).as("PostgreSQL stopped with the service").isEmpty();
            // In flight at the signal: answered in full, refused, or cut off; never an error of the service's own.
            assertThat(load.failed).as("answers other than 2xx").allSatisfy(answer -> assertThat(answer)
                    .contains("application/problem+json").doesNotStartWith("500"));
            System.out.printf("SIGTERM under load: %d acknowledged (%d of them answered after the signal was sent), %d other answers, %d clients"
                            + " refused or cut off; stopped in %d ms%n", load.acknowledged.size(),
                    load.acknowledged.size() - acknowledgedBeforeStop, load.failed.size(), load.cutOff.get(), stopTook.toMillis());
        }

        try (LedgerflowProcess second = LedgerflowProcess.start(data, Map.of("LEDGER_ADMIN_KEY", ADMIN_KEY))) {
            for (String payment : load.acknowledged.values()) {
                assertThat(statusOnceFinal(second, payment)).as(payment).isEqualTo("succeeded");
            }
            // Exactly once: each acknowledged key still names its payment, and no request made two.
            for (Map.Entry<String, String> acknowledged : load.acknowledged.entrySet()) {
                HttpResponse<String> replay = http.send(createRequest(second, acknowledged.getKey()), HttpResponse.BodyHandlers.ofString());
                assertThat(replay.statusCode()).as(replay.body()).isEqualTo(202);
                assertThat(paymentId(replay.body())).as("the replay of " + acknowledged.getKey()).contains(acknowledged.getValue());
            }
            List<String> listed = paymentsOnceListed(second, load.acknowledged.values());
            assertThat(listed).as("payments listed after the restart").doesNotHaveDuplicates()
                    .hasSizeLessThanOrEqualTo(load.sent.get());
        }
    }

    /**
     * The graceful drain's bound (Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}, 30 s by default and not
     * changed): a stop that reaches it left requests unanswered. Measured: 5 s under load with the lead's benchmark running.
     */
    private static final Duration STOP_MAX = Duration.ofSeconds(30);

    /**
     * What the clients of a load got: the payments answered 2xx by Idempotency-Key, the other answers
     * (status, content type, body), how many requests were sent and how many clients were refused or cut off.
     */
    private static final class Load {
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final java.util.Queue<String> failed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger cutOff = new java.util.concurrent.atomic.AtomicInteger();
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

    /** Sends creates one after another until the load ends, or the service refuses or cuts off this client. */
    private void createPaymentsUntil(LedgerflowProcess service, AtomicBoolean loading, Load load) {
        while (loading.get()) {
            String key = UUID.randomUUID().toString();
            load.sent.incrementAndGet();
            try {
                HttpResponse<String> response = http.send(createRequest(service, key), HttpResponse.BodyHandlers.ofString());
                Optional<String> payment = paymentId(response.body());
                if (response.statusCode() / 100 == 2 && payment.isPresent()) {
                    load.acknowledged.put(key, payment.get());
                } else {
                    load.failed.add(response.statusCode() + " " + response.headers().firstValue("Content-Type").orElse("")
                            + " " + response.body());
                }
            } catch (java.io.IOException e) {
                load.cutOff.incrementAndGet(); // refused or cut off while stopping: not acknowledged
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A card payment; its id when the service answered 2xx (acknowledged), empty on any failure. */
    private Optional<String> createPayment(LedgerflowProcess service) {
        try {
            HttpResponse<String> response = http.send(createRequest(service, UUID.randomUUID().toString()),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() / 100 == 2 ? paymentId(response.body()) : Optional.empty();
        } catch (java.io.IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static HttpRequest createRequest(LedgerflowProcess service, String idempotencyKey) {
        return HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/payments"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + service.demoKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"amount":1250,"currency":"USD","source":{"type":"card","number":"4242424242424242",\
                        "exp_month":12,"exp_year":2030,"cvc":"123"}}"""))
                .build();
    }

    private static Optional<String> paymentId(String body) {
        Matcher id = PAYMENT_ID.matcher(body);
        return id.find() ? Optional.of(id.group(1)) : Optional.empty();
    }

    /** Every payment of the demo merchant, once the list (a projection, catching up after the start) shows {@code expected}. */
    private List<String> paymentsOnceListed(LedgerflowProcess service, java.util.Collection<String> expected) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
        while (true) {
            List<String> listed = new ArrayList<>();
            boolean more = true;
            while (more) {
                String after = listed.isEmpty() ? "" : "&starting_after=" + listed.getLast();
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/payments?limit=100" + after))
                        .header("Authorization", "Bearer " + service.demoKey).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
                Matcher id = PAYMENT_ID.matcher(page.body());
                while (id.find()) {
                    listed.add(id.group(1));
                }
                more = page.body().contains("\"has_more\":true");
            }
            if (listed.containsAll(expected) || Instant.now().isAfter(deadline)) {
                assertThat(listed).containsAll(expected);
                return listed;
            }
            Thread.sleep(100); // waiting for a positive signal: the list has caught up
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
