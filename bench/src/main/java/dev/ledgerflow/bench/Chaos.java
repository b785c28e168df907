package dev.ledgerflow.bench;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chaos scenarios ({@code bench/run --scenarios chaos}): the harness runs PostgreSQL, Redis and
 * (for the relay scenario) a Kafka broker as processes of its own, and the service as another,
 * pointed at them; it puts a mixed load on the service over loopback, logs every 2xx answer, injects
 * a fault, and then checks that nothing acknowledged was lost or duplicated, nothing was charged
 * twice, no payment stays {@code processing}, the books balance, every projection equals a replay of
 * the log, and every subscribed webhook arrived (more than once only under one webhook-id). Prints a
 * table (requests, acknowledged, lost, duplicated, double charges, 5xx, recovery) and writes it to
 * {@code bench/results/chaos/}; exits non-zero on any loss or failed check.
 */
final class Chaos {

    static final List<String> ALL = List.of("service", "postgres", "redis", "kafka", "read-only", "slow");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration DRAIN_MAX = Duration.ofMinutes(4);

    private final Map<String, String> options;
    private final List<String> scenarios;
    private final double rate;
    private final Duration phaseLength;
    private final int killRounds;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<Checks.Outcome> failures = new ArrayList<>();

    private ChaosServers.Postgres postgres;
    private ChaosServers.Redis redis;
    private ChaosServers.Kafka kafka;
    private ServiceProcess service;
    private Checks checks;
    private Http http;
    private AdminApi admin;
    private String baseUrl;
    private String merchantId;
    private String merchantKey;
    private ChaosReceivers.Verifying receiver;
    private ChaosLoad load;
    private Histogram baseline;

    /** One line of the table. */
    record Row(String scenario, long requests, long acknowledged, long lost, long duplicated, long doubleCharges, long serverErrors,
            String recovery, boolean passed) {}

    Chaos(Map<String, String> options, List<String> scenarios) {
        this.options = options;
        this.scenarios = scenarios;
        this.rate = Double.parseDouble(options.getOrDefault("chaos-rate", "200"));
        this.phaseLength = Duration.ofSeconds(Long.parseLong(options.getOrDefault("chaos-seconds", "30")));
        this.killRounds = Integer.parseInt(options.getOrDefault("kill-rounds", "3"));
    }

    /** The scenario names asked for: {@code chaos} is all of them, {@code chaos-<name>} one. */
    static List<String> selected(List<String> names) {
        List<String> chosen = new ArrayList<>();
        for (String name : names) {
            if (name.equals("chaos")) {
                ALL.stream().filter(s -> !chosen.contains(s)).forEach(chosen::add);
            } else if (name.startsWith("chaos-") && ALL.contains(name.substring("chaos-".length()))) {
                chosen.add(name.substring("chaos-".length()));
            } else {
                throw new IllegalArgumentException("unknown chaos scenario " + name + "; known: chaos, " + ALL.stream().map(s -> "chaos-" + s).toList());
            }
        }
        return chosen;
    }

    /** Runs the scenarios; true when every check passed. */
    boolean run(String serviceClasspath, String command) throws Exception {
        Path work = Files.createTempDirectory("ledgerflow-chaos");
        System.out.println("Chaos: servers and service in " + work);
        try {
            postgres = ChaosServers.Postgres.create(work.resolve("postgres"), work.resolve("postgres.log"));
            postgres.start();
            redis = ChaosServers.Redis.create(work.resolve("redis"), work, work.resolve("redis.log"));
            redis.start();
            Map<String, String> environment = new HashMap<>(Map.of("LEDGER_POSTGRES_URL", postgres.url(), "LEDGER_REDIS_URL", redis.url()));
            if (scenarios.contains("kafka")) {
                kafka = new ChaosServers.Kafka(serviceClasspath, work.resolve("kafka"), work.resolve("kafka.log"));
                kafka.start();
                environment.put("LEDGER_KAFKA_BOOTSTRAP", kafka.bootstrap());
            }
            System.out.printf("PostgreSQL pid %d on %d, Redis pid %d on %d%s%n", postgres.pid(), postgres.port, redis.pid(), redis.port,
                    kafka == null ? "" : ", Kafka pid " + kafka.pid() + " on " + kafka.bootstrap());
            List<String> jvm = List.of(options.getOrDefault("service-jvm", "-Xms1g -Xmx1g -XX:+UseParallelGC").split(" "));
            service = ServiceProcess.startExternal(serviceClasspath, work, jvm, List.of(), environment, postgres.jdbcUrl());
            baseUrl = "http://127.0.0.1:" + service.port;
            System.out.println("Service pid " + service.pid() + " on " + baseUrl);
            checks = new Checks(postgres.jdbcUrl());
            http = new Http(baseUrl, 256);
            admin = new AdminApi(baseUrl, service.adminKey);
            setUp(work);
            for (String scenario : scenarios) {
                System.out.println();
                System.out.println("Chaos scenario: " + scenario);
                try {
                    switch (scenario) {
                        case "service" -> killService();
                        case "postgres" -> killPostgres();
                        case "redis" -> redisLost();
                        case "kafka" -> kafkaRestart();
                        case "read-only" -> readOnly();
                        case "slow" -> slowReceivers();
                        default -> throw new IllegalArgumentException(scenario);
                    }
                } catch (Exception e) {
                    // The service did not come back (or a server): the run stops here, with a report of what it saw.
                    e.printStackTrace(System.out);
                    failIfNot(new Checks.Outcome(scenario + ": the scenario ran to its end", false, "aborted: " + e));
                    break;
                }
            }
        } finally {
            for (AutoCloseable closeable : new AutoCloseable[] {service, receiver, kafka, redis, postgres}) {
                if (closeable != null) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        System.out.println("closing: " + e);
                    }
                }
            }
        }
        String table = table();
        System.out.println();
        System.out.println(table);
        failures.forEach(f -> System.out.println("FAILED: " + f.name() + ": " + f.detail()));
        Path results = Path.of(options.getOrDefault("results", "bench/results")).resolve("chaos");
        Files.createDirectories(results);
        String name = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        StringBuilder report = new StringBuilder("# Chaos run " + name + "\n\n`" + command + "`\n\nRate " + (long) rate
                + " requests/s (mixed), " + phaseLength.toSeconds() + " s per phase, " + killRounds + " kill -9 round(s) of the service.\n\n"
                + table + "\n\n## Notes\n\n");
        notes.forEach(note -> report.append("- ").append(note).append('\n'));
        report.append("\n## Failed checks\n\n").append(failures.isEmpty() ? "none\n" : "");
        failures.forEach(f -> report.append("- ").append(f.name()).append(": ").append(f.detail()).append('\n'));
        Files.writeString(results.resolve(name + ".md"), report);
        Files.writeString(results.resolve("latest.md"), report);
        System.out.println("Results: " + results.resolve(name + ".md"));
        return failures.isEmpty() && rows.stream().allMatch(Row::passed);
    }

    private void setUp(Path work) throws Exception {
        String created = http.post("/v1/merchants", service.adminKey, "{\"name\":\"chaos\"}", null).block().body();
        JsonNode merchant = JSON.readTree(created);
        merchantId = merchant.get("id").asString();
        merchantKey = merchant.get("api_key").asString();
        receiver = new ChaosReceivers.Verifying();
        String endpoint = http.post("/v1/webhook-endpoints", merchantKey, "{\"url\":\"" + receiver.url()
                + "\",\"events\":[\"payment.succeeded\",\"refund.succeeded\"]}", null).block().body();
        receiver.secret(JSON.readTree(endpoint).get("secret").asString());
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String account = Scenarios.id(http.post("/v1/accounts", merchantKey, "{\"currency\":\"USD\"}", null).block().body());
            http.post("/v1/accounts/" + account + "/deposits", merchantKey, "{\"amount\":1000000000}", null).block();
            accounts.add(account);
        }
        load = new ChaosLoad(http, merchantKey, accounts, work.resolve("acknowledged.log"));
        System.out.println("Warm-up, then a baseline (no fault) …");
        load.run(new ChaosLoad.Phase("warm-up"), rate, Duration.ofSeconds(15));
        ChaosLoad.Phase phase = new ChaosLoad.Phase("baseline");
        load.run(phase, rate, Duration.ofSeconds(Math.max(10, phaseLength.toSeconds() / 2)));
        baseline = phase.latency.getIntervalHistogram();
        notes.add(String.format("baseline (no fault): %d requests, %d acknowledged, answer latency p50 %.1f ms, p99 %.1f ms",
                phase.requests.sum(), phase.acks.size(), ChaosLoad.p(baseline, 50) / 1e3, ChaosLoad.p(baseline, 99) / 1e3));
        finish(phase, "no fault", true);
    }

    // ---- the scenarios ----------------------------------------------------------------------------------------------

    /** 1. kill -9 of the service mid-load, restarted at once, {@code --kill-rounds} times in a row. */
    private void killService() throws Exception {
        for (int round = 1; round <= killRounds; round++) {
            ChaosLoad.Phase phase = new ChaosLoad.Phase("kill -9 service, round " + round);
            long[] times = new long[3];
            boolean[] restarted = {false};
            Thread fault = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(phaseLength.toMillis() / 3);
                    times[0] = System.nanoTime();
                    phase.mark();
                    service.kill9();
                    System.out.println("  killed the service (SIGKILL); restarting it");
                    service = service.restart();
                    times[1] = System.nanoTime();
                    restarted[0] = true;
                    System.out.printf("  service up again after %.1f s (pid %d)%n", (times[1] - times[0]) / 1e9, service.pid());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            load.run(phase, rate, phaseLength);
            fault.join();
            if (!restarted[0]) {
                throw new IllegalStateException("the service did not start again after kill -9 (round " + round + "); see "
                        + service.log());
            }
            String recovery = String.format("%.1f s to restart; first 2xx %.1f s after the kill", (times[1] - times[0]) / 1e9,
                    seconds(times[0], phase.firstAckAfter.get()));
            finish(phase, recovery, true);
        }
    }

    /** 2. PostgreSQL killed (-9, with all its processes) under load and restarted on the same data after a few seconds. */
    private void killPostgres() throws Exception {
        ChaosLoad.Phase phase = new ChaosLoad.Phase("kill -9 PostgreSQL");
        HealthWatch health = HealthWatch.start(baseUrl);
        long[] times = new long[3];
        Thread fault = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(phaseLength.toMillis() / 3);
                times[0] = System.nanoTime();
                postgres.kill9();
                System.out.println("  killed PostgreSQL (SIGKILL to the postmaster and every backend)");
                Thread.sleep(5_000);
                postgres.start();
                times[1] = System.nanoTime();
                phase.mark();
                System.out.printf("  PostgreSQL up again (crash recovery done) %.1f s after the kill%n", (times[1] - times[0]) / 1e9);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        load.run(phase, rate, phaseLength);
        fault.join();
        List<String> transitions = health.stop();
        Histogram unavailable = phase.unavailableLatency.getIntervalHistogram();
        boolean downThenUp = transitions.indexOf("DOWN") >= 0 && transitions.lastIndexOf("UP") > transitions.indexOf("DOWN");
        failIfNot(new Checks.Outcome("postgres: /actuator/health went DOWN, then UP again without a restart", downThenUp,
                String.join(" → ", health.log)));
        failIfNot(new Checks.Outcome("postgres: no 500 internal_error during the outage (503 unavailable instead)",
                phase.internalErrors.sum() == 0, phase.internalErrors.sum() + " answers 500"));
        failIfNot(new Checks.Outcome("postgres: 503 unavailable answered, never a hang (p99 under 10 s as the load generator times it)",
                unavailable.getTotalCount() > 0 && ChaosLoad.p(unavailable, 99) < 10_000_000,
                String.format("%d answers 503 unavailable, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", unavailable.getTotalCount(),
                        ChaosLoad.p(unavailable, 50) / 1e3, ChaosLoad.p(unavailable, 99) / 1e3, unavailable.getMaxValue() / 1e3)));
        notes.add(String.format("kill -9 PostgreSQL: %d answers 503 unavailable (as the load generator timed them, queueing for one"
                        + " of its connections included: p99 %.1f ms, max %.1f ms; in the service: %s), %d broken connections;"
                        + " health: %s", unavailable.getTotalCount(), ChaosLoad.p(unavailable, 99) / 1e3, unavailable.getMaxValue() / 1e3,
                serverTime("503"), phase.connectionErrors.sum(), String.join(" → ", health.log)));
        String recovery = String.format("PostgreSQL back %.1f s after the kill; first 2xx %.1f s after that, health UP %.1f s after",
                (times[1] - times[0]) / 1e9, seconds(times[1], phase.firstAckAfter.get()), seconds(times[1], health.upAgainAfter(times[1])));
        finish(phase, recovery, true);
    }

    /** 3. Redis killed and restarted empty, then FLUSHALL, both under load. */
    private void redisLost() throws Exception {
        ChaosLoad.Phase phase = new ChaosLoad.Phase("Redis lost: kill -9 + empty restart, FLUSHALL");
        Thread fault = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(phaseLength.toMillis() / 4);
                redis.kill9();
                redis.wipe();
                Thread.sleep(2_000);
                redis.start();
                System.out.println("  killed Redis and started it again empty");
                Thread.sleep(phaseLength.toMillis() / 3);
                System.out.println("  FLUSHALL: " + redis.command("FLUSHALL"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        load.run(phase, rate, phaseLength);
        fault.join();
        failIfNot(unaffected("redis", phase));
        finish(phase, "webhooks: see the delivery check", true);
    }

    /** 4. The Kafka broker killed (-9) under load with the relay on, and started again on the same data. */
    private void kafkaRestart() throws Exception {
        ChaosLoad.Phase phase = new ChaosLoad.Phase("kill -9 Kafka broker (relay on)");
        long[] times = new long[2];
        Thread fault = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(phaseLength.toMillis() / 3);
                times[0] = System.nanoTime();
                kafka.kill9();
                System.out.println("  killed the Kafka broker");
                Thread.sleep(5_000);
                kafka.start();
                times[1] = System.nanoTime();
                System.out.printf("  Kafka broker up again %.1f s after the kill%n", (times[1] - times[0]) / 1e9);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        load.run(phase, rate, phaseLength);
        fault.join();
        failIfNot(unaffected("kafka", phase));
        // The relay catches up, then the whole topic is read back against the log.
        long waited = System.nanoTime();
        String[] head = headOfLog();
        while (!relayReached(head) && System.nanoTime() - waited < DRAIN_MAX.toNanos()) {
            Thread.sleep(500);
        }
        double caughtUp = (System.nanoTime() - times[1]) / 1e9;
        String[] checkpoint = relayCheckpoint();
        for (Checks.Outcome outcome : new RelayTopic(kafka.bootstrap(), "ledgerflow.events", checks)
                .check(Long.parseLong(checkpoint[0]), Long.parseLong(checkpoint[1]))) {
            failIfNot(outcome);
        }
        finish(phase, String.format("relay caught up with the log %.1f s after the broker was back", caughtUp), true);
    }

    /** 5. The database switched read-only under load for a few seconds, then writable again. */
    private void readOnly() throws Exception {
        ChaosLoad.Phase phase = new ChaosLoad.Phase("read-only database");
        long[] times = new long[2];
        Thread fault = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(phaseLength.toMillis() / 3);
                postgres.sql("alter system set default_transaction_read_only = on", "select pg_reload_conf()");
                times[0] = System.nanoTime();
                System.out.println("  database read-only");
                Thread.sleep(8_000);
                postgres.sql("alter system reset default_transaction_read_only", "select pg_reload_conf()");
                times[1] = System.nanoTime();
                phase.mark();
                System.out.println("  database writable again");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        load.run(phase, rate, phaseLength);
        fault.join();
        failIfNot(new Checks.Outcome("read-only: writes answered 503 unavailable, never 500", phase.internalErrors.sum() == 0
                && phase.unavailable.sum() > 0, phase.unavailable.sum() + " answers 503 unavailable, " + phase.internalErrors.sum()
                + " answers 500"));
        finish(phase, String.format("first 2xx %.1f s after the database was writable again", seconds(times[1], phase.firstAckAfter.get())),
                true);
    }

    /** 6. A receiver that answers after 20 s, one that holds connections open, and 2,000 idle connections to the API. */
    private void slowReceivers() throws Exception {
        // The latency to compare with is the API's just before, on the machine as loaded as it is now (the
        // baseline at the start ran while the service's JIT was still at work).
        ChaosLoad.Phase reference = new ChaosLoad.Phase("no fault, before the slow receivers");
        load.run(reference, rate, Duration.ofSeconds(Math.max(10, phaseLength.toSeconds() / 2)));
        Histogram normal = reference.latency.getIntervalHistogram();
        finish(reference, "no fault", false);
        ChaosLoad.Phase phase = new ChaosLoad.Phase("slow receivers, 2,000 idle connections");
        List<String> endpoints = new ArrayList<>();
        List<Socket> idle;
        try (ChaosReceivers.Slow slow = new ChaosReceivers.Slow(Duration.ofSeconds(20)); ChaosReceivers.Holding holding = new ChaosReceivers.Holding()) {
            for (String url : List.of(slow.url(), holding.url())) {
                endpoints.add(Scenarios.id(http.post("/v1/webhook-endpoints", merchantKey, "{\"url\":\"" + url
                        + "\",\"events\":[\"refund.succeeded\"]}", null).block().body()));
            }
            idle = ChaosReceivers.idleConnections(service.port, Integer.parseInt(options.getOrDefault("idle-connections", "2000")));
            System.out.println("  " + idle.size() + " idle connections open; slow and holding receivers subscribed to refund.succeeded");
            load.run(phase, rate, phaseLength);
            long closed = ChaosReceivers.closedByPeer(idle);
            for (Socket socket : idle) {
                socket.close();
            }
            for (String endpoint : endpoints) {
                http.delete("/v1/webhook-endpoints/" + endpoint, merchantKey).block();
            }
            notes.add(String.format("slow receivers: the 20 s receiver got %d requests (%d of them held the full 20 s by the end of"
                    + " the phase), the holding one %d connections; of %d idle connections the service closed %d during the %d s phase"
                    + " (its idle timeout, LEDGER_HTTP_IDLE_TIMEOUT, is 60 s by default)", slow.received.sum(), slow.heldFull.sum(),
                    holding.accepted.sum(), idle.size(), closed, phaseLength.toSeconds()));
        }
        Histogram latency = phase.latency.getIntervalHistogram();
        long before = ChaosLoad.p(normal, 99);
        long during = ChaosLoad.p(latency, 99);
        failIfNot(new Checks.Outcome("slow: API latency stays normal (p99 within 3× the p99 of the no-fault load just before + 250 ms)",
                during <= 3 * before + 250_000 && phase.serverErrors.sum() == phase.overloaded.sum(), String.format("p50 %.1f ms, p99 %.1f ms; just before"
                        + " (no fault, %d requests): p50 %.1f ms, p99 %.1f ms; %d answers 5xx, %d of them 503 overloaded",
                        ChaosLoad.p(latency, 50) / 1e3, during / 1e3, reference.requests.sum(), ChaosLoad.p(normal, 50) / 1e3,
                        before / 1e3, phase.serverErrors.sum(), phase.overloaded.sum())));
        finish(phase, String.format("API p99 %.1f ms (%.1f ms with no fault just before)", during / 1e3, before / 1e3), true);
    }

    // ---- checks -----------------------------------------------------------------------------------------------------

    /** The checks after every scenario, then the scenario's row. */
    private void finish(ChaosLoad.Phase phase, String recovery, boolean withRow) throws Exception {
        System.out.printf("  %d requests, %d acknowledged, %d answers 5xx, %d broken connections, %d gave up; checking …%n",
                phase.requests.sum(), phase.acks.size(), phase.serverErrors.sum(), phase.connectionErrors.sum(), phase.gaveUp.sum());
        if (withRow) {
            Map<Integer, Long> statuses = new java.util.TreeMap<>();
            phase.statuses.forEach((status, count) -> statuses.put(status, count.sum()));
            notes.add(String.format("%s: answers by status %s (retries included), %d broken connections, %d requests given up after"
                    + " 120 s", phase.name, statuses, phase.connectionErrors.sum(), phase.gaveUp.sum()));
            if (!phase.serverErrorSamples.isEmpty()) {
                notes.add(phase.name + ": the first 5xx answers: " + String.join("; ", phase.serverErrorSamples));
                phase.serverErrorSamples.forEach(sample -> System.out.println("  5xx: " + sample)); // kept should the run not end
            }
        }
        long lost = 0;
        long duplicated = phase.conflictingKeys.size();
        List<Checks.Outcome> outcomes = new ArrayList<>();
        long[] payments = existOnce(phase.ids(ChaosLoad.Kind.PAYMENT, ChaosLoad.Kind.MANUAL_PAYMENT),
                "select stream_id, count(*) from events where type = 'payment.created' and stream_id = any(?) group by 1");
        long[] transfers = existOnce(phase.ids(ChaosLoad.Kind.TRANSFER),
                "select stream_id, count(*) from events where type = 'transfer.posted' and stream_id = any(?) group by 1");
        long[] refunds = existOnce(phase.ids(ChaosLoad.Kind.REFUND), "select payload -> 'data' ->> 'id', count(*) from events"
                + " where type = 'refund.created' and payload -> 'data' ->> 'id' = any(?) group by 1");
        // A capture acknowledged: its payment succeeded, once.
        long[] captures = existOnce(phase.ids(ChaosLoad.Kind.CAPTURE),
                "select stream_id, count(*) from events where type = 'payment.succeeded' and stream_id = any(?) group by 1");
        outcomes.add(new Checks.Outcome("every 2xx answer is about what its request named", phase.mismatchedAnswers.isEmpty(),
                phase.mismatchedAnswers.isEmpty() ? "0 answers about something else"
                        : phase.mismatchedAnswers.size() + " answers about something else, the first: "
                                + String.join("; ", phase.mismatchedAnswers.stream().limit(3).toList())));
        lost += payments[0] + transfers[0] + refunds[0] + captures[0];
        duplicated += payments[1] + transfers[1] + refunds[1] + captures[1];
        outcomes.add(new Checks.Outcome("every acknowledged payment, transfer, refund and capture exists exactly once",
                lost == 0 && duplicated == 0, String.format("missing/duplicated: payments %d/%d, transfers %d/%d, refunds %d/%d,"
                        + " captures %d/%d; keys answered with two ids %d", payments[0], payments[1], transfers[0], transfers[1], refunds[0],
                        refunds[1], captures[0], captures[1], phase.conflictingKeys.size())));
        long waited = System.nanoTime();
        long processing = waitUntilZero("select count(*) from events c where c.type = 'payment.created' and not exists (select 1"
                + " from events o where o.stream_id = c.stream_id and o.type in ('payment.requires_capture', 'payment.succeeded',"
                + " 'payment.failed', 'payment.canceled'))", DRAIN_MAX);
        outcomes.add(new Checks.Outcome("no payment stays processing", processing == 0, String.format("%d still processing %.1f s after"
                + " the load ended", processing, (System.nanoTime() - waited) / 1e9)));
        long twiceInLog = checks.count("select count(*) from (select stream_id from events where type in"
                + " ('payment.requires_capture', 'payment.succeeded', 'payment.failed') group by stream_id, type having count(*) > 1) twice");
        long twiceAtAcquirer = checks.count("select count(*) from (select payment_id from acquirer_charges where outcome = 'approved'"
                + " group by payment_id having count(*) > 1) twice");
        long doubleCharges = twiceInLog + twiceAtAcquirer;
        outcomes.add(new Checks.Outcome("no payment authorized or captured twice (in the log, and at the acquirer)", doubleCharges == 0,
                twiceInLog + " payments with an outcome event twice, " + twiceAtAcquirer + " charged twice by the acquirer"));
        // Every charge is a payment that reached its authorization, and the other way round.
        long charged = checks.count("select count(distinct payment_id) from acquirer_charges where outcome = 'approved'");
        long authorized = checks.count("select count(distinct stream_id) from events where type in ('payment.requires_capture',"
                + " 'payment.succeeded') and stream_id like 'pay_%'");
        long approvals = checks.count("select count(*) from acquirer_charges where outcome = 'approved'");
        Meter now = meter();
        String counters;
        boolean countersOk = true;
        if (meterAtLastCheck != null && now.pid() == meterAtLastCheck.pid() && now.charges() >= 0) {
            long counted = now.charges() - meterAtLastCheck.charges();
            long recorded = approvals - meterAtLastCheck.approvals();
            countersOk = counted == recorded;
            counters = String.format("ledger_acquirer_charges_total +%d and ledger_acquirer_calls_total +%d over the phase; %d approvals"
                    + " recorded in acquirer_charges meanwhile", counted, now.calls() - meterAtLastCheck.calls(), recorded);
        } else {
            counters = meterAtLastCheck == null ? "no earlier reading of the counters: the acquirer's table is the count"
                    : "the service was restarted during the phase (its counters started again): the acquirer's table is the count";
        }
        outcomes.add(new Checks.Outcome("acquirer charges == payments that reached an authorization", charged == authorized
                && approvals == charged && countersOk, String.format("%d payments charged (%d approvals), %d payments authorized in the"
                        + " log; %s", charged, approvals, authorized, counters)));
        meterAtLastCheck = new Meter(now.pid(), now.charges(), now.calls(), approvals);
        // A payment the acquirer charged never ends failed unless the charge was voided there first (the
        // processor voids a request it gave up on, so an approval that came after its last attempt timed out
        // is released, and a later one refused).
        long failedButCharged = checks.count("select count(*) from acquirer_charges a where a.outcome = 'approved' and exists"
                + " (select 1 from events e where e.stream_id = a.payment_id and e.type = 'payment.failed')");
        long voidedApprovals = checks.count("select count(*) from acquirer_charges where outcome = 'voided' and voided_at is not null");
        long voidedUnanswered = checks.count("select count(*) from acquirer_charges where outcome = 'voided' and voided_at is null");
        long failedOnTimeout = checks.count("select count(*) from events where type = 'payment.failed' and stream_id like 'pay_%'"
                + " and lower(coalesce(payload -> 'event' ->> 'failure_code', payload -> 'data' ->> 'failure_code')) = 'timeout'");
        // And the other way round: no payment the log authorized was voided at the acquirer.
        long authorizedButVoided = checks.count("select count(*) from acquirer_charges a where a.outcome = 'voided' and exists"
                + " (select 1 from events e where e.stream_id = a.payment_id and e.type in ('payment.requires_capture', 'payment.succeeded'))");
        outcomes.add(new Checks.Outcome("the acquirer agrees with the log: no failed payment left charged (approved, not voided), no"
                + " authorized payment voided", failedButCharged == 0 && authorizedButVoided == 0, String.format("%d failed payments"
                        + " charged, %d authorized payments voided; since the start: %d payments failed on timeout, %d approvals voided"
                        + " after the payment failed, %d requests voided before any answer", failedButCharged, authorizedButVoided,
                        failedOnTimeout, voidedApprovals, voidedUnanswered)));
        outcomes.add(checks.booksBalance());
        long behind = EndToEnd.ProjectionLag.waitUntilCaughtUp(http, service.adminKey, DRAIN_MAX);
        var invariants = admin.send("GET", "/admin/invariants", Duration.ofMinutes(2));
        boolean invariantsOk = invariants.statusCode() == 200 && JSON.readTree(invariants.body()).get("ok").asBoolean();
        outcomes.add(new Checks.Outcome("every projection equals a replay of the log (GET /admin/invariants)", invariantsOk && behind == 0,
                invariantsOk ? "ok (" + behind + " events behind)" : invariants.statusCode() + " " + invariants.body()));
        outcomes.add(webhooksDelivered());
        boolean passed = true;
        for (Checks.Outcome outcome : outcomes) {
            System.out.printf("  [%s] %s: %s%n", outcome.ok() ? "ok" : "FAILED", outcome.name(), outcome.detail());
            if (!outcome.ok()) {
                failures.add(new Checks.Outcome(phase.name + ": " + outcome.name(), false, outcome.detail()));
                passed = false;
            }
        }
        if (withRow) {
            rows.add(new Row(phase.name, phase.requests.sum(), phase.acks.size(), lost, duplicated, doubleCharges, phase.serverErrors.sum(),
                    recovery, passed && lost == 0 && duplicated == 0 && doubleCharges == 0));
        }
    }

    /** The acquirer's counters in one service process, and the approvals in its table at the time. */
    private record Meter(long pid, long charges, long calls, long approvals) {}

    private Meter meterAtLastCheck;

    private Meter meter() {
        double charges = -1;
        double voids = 0;
        double calls = -1;
        try {
            var response = admin.send("GET", "/actuator/prometheus", Duration.ofSeconds(30));
            for (String line : response.body().split("\n")) {
                if (line.startsWith("ledger_acquirer_charges_total")) {
                    charges = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("ledger_acquirer_voids_total")) {
                    voids = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("ledger_acquirer_calls_total")) {
                    calls = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (Exception e) {
            // unknown: the table alone counts
        }
        // An approval voided because the processor gave up on it (its attempts timed out) charged nothing.
        return new Meter(service.pid(), charges < 0 ? -1 : (long) (charges - voids), (long) calls, 0);
    }

    /** {missing, duplicated} of the acknowledged ids by a query that counts rows per id. */
    private long[] existOnce(List<String> ids, String sql) throws Exception {
        if (ids.isEmpty()) {
            return new long[] {0, 0};
        }
        Map<String, Long> found = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            found.clear();
            try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement(sql)) {
                s.setArray(1, c.createArrayOf("text", ids.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        found.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            if (found.size() == ids.size() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(500); // a capture's outcome may still be on its way
        }
        long missing = ids.stream().filter(id -> !found.containsKey(id)).count();
        long duplicated = found.values().stream().filter(count -> count > 1).count();
        return new long[] {missing, duplicated};
    }

    private long waitUntilZero(String sql, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        long count;
        while ((count = checks.count(sql)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        return count;
    }

    /** Every payment.succeeded and refund.succeeded of the merchant arrived at the receiver, each under one webhook-id. */
    private Checks.Outcome webhooksDelivered() throws Exception {
        List<String> expected = new ArrayList<>();
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select type || ' ' || (payload -> 'data' ->> 'id')"
                + " from events where type in ('payment.succeeded', 'refund.succeeded') and metadata ->> 'merchant' = ?")) {
            s.setString(1, merchantId);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    expected.add(rs.getString(1));
                }
            }
        }
        long started = System.nanoTime();
        while (!receiver.webhookIds.keySet().containsAll(expected) && System.nanoTime() - started < DRAIN_MAX.toNanos()) {
            Thread.sleep(500);
        }
        long missing = expected.stream().filter(e -> !receiver.webhookIds.containsKey(e)).count();
        long twoIds = receiver.webhookIds.values().stream().filter(ids -> ids.size() > 1).count();
        return new Checks.Outcome("every subscribed webhook delivered, signed, under one webhook-id each",
                missing == 0 && twoIds == 0 && receiver.badSignatures.sum() == 0, String.format("%d expected, %d missing (waited %.1f s),"
                        + " %d delivered under two webhook-ids, %d bad signatures, %d requests received", expected.size(), missing,
                (System.nanoTime() - started) / 1e9, twoIds, receiver.badSignatures.sum(), receiver.received.sum()));
    }

    /** The service's own mean and max time for answers of one status, from {@code /actuator/prometheus}. */
    private String serverTime(String status) {
        try {
            var response = admin.send("GET", "/actuator/prometheus", Duration.ofSeconds(30));
            double count = 0;
            double sum = 0;
            double max = 0;
            for (String line : response.body().split("\n")) {
                if (!line.startsWith("http_server_requests_seconds") || !line.contains("status=\"" + status + "\"")) {
                    continue;
                }
                double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (line.startsWith("http_server_requests_seconds_count")) {
                    count += value;
                } else if (line.startsWith("http_server_requests_seconds_sum")) {
                    sum += value;
                } else if (line.startsWith("http_server_requests_seconds_max")) {
                    max = Math.max(max, value);
                }
            }
            return count == 0 ? "no " + status + " answers counted" : String.format("%.0f answers %s, mean %.1f ms, max in the last"
                    + " minutes %.1f ms", count, status, sum / count * 1e3, max * 1e3);
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }

    private String[] headOfLog() throws Exception {
        try (Connection c = checks.connect(); ResultSet rs = c.createStatement().executeQuery(
                "select txid::text, position from events order by txid desc, position desc limit 1")) {
            rs.next();
            return new String[] {rs.getString(1), rs.getString(2)};
        }
    }

    private String[] relayCheckpoint() throws Exception {
        try (Connection c = checks.connect(); ResultSet rs = c.createStatement().executeQuery(
                "select txid::text, position from consumer_leases where consumer = '" + RelayScenario.CONSUMER + "'"
                        + " order by txid, position limit 1")) {
            return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : new String[] {"0", "0"};
        }
    }

    private boolean relayReached(String[] head) throws Exception {
        String[] at = relayCheckpoint();
        long txid = Long.parseLong(at[0]);
        long headTxid = Long.parseLong(head[0]);
        return txid > headTxid || txid == headTxid && Long.parseLong(at[1]) >= Long.parseLong(head[1]);
    }

    /**
     * The fault did not reach the API: no 5xx but 503 {@code overloaded}, which admission control answers
     * at once on a saturated machine with or without a fault (the no-fault phases had them too).
     */
    private static Checks.Outcome unaffected(String scenario, ChaosLoad.Phase phase) {
        long other = phase.serverErrors.sum() - phase.overloaded.sum();
        return new Checks.Outcome(scenario + ": the API was unaffected (no 5xx but 503 overloaded)", other == 0, String.format(
                "%d answers 5xx: %d of them 503 overloaded, %d other", phase.serverErrors.sum(), phase.overloaded.sum(), other));
    }

    private void failIfNot(Checks.Outcome outcome) {
        System.out.printf("  [%s] %s: %s%n", outcome.ok() ? "ok" : "FAILED", outcome.name(), outcome.detail());
        if (!outcome.ok()) {
            failures.add(outcome);
        }
    }

    private static double seconds(long from, long to) {
        return to == Long.MAX_VALUE || from == 0 ? Double.NaN : (to - from) / 1e9;
    }

    private String table() {
        StringBuilder out = new StringBuilder("| scenario | requests | acknowledged | lost | duplicated | double charges | 5xx answers |"
                + " recovery | checks |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
        for (Row row : rows) {
            out.append(String.format("| %s | %,d | %,d | %d | %d | %d | %,d | %s | %s |%n", row.scenario(), row.requests(), row.acknowledged(),
                    row.lost(), row.duplicated(), row.doubleCharges(), row.serverErrors(), row.recovery(), row.passed() ? "all passed" : "FAILED"));
        }
        return out.toString().strip();
    }

    /** Polls {@code /actuator/health} four times a second and keeps each change of status with its time. */
    static final class HealthWatch {
        final List<String> log = new CopyOnWriteArrayList<>();
        private final List<String> statuses = new CopyOnWriteArrayList<>();
        private final Map<Long, String> changes = new LinkedHashMap<>();
        private volatile boolean running = true;
        private Thread thread;

        static HealthWatch start(String baseUrl) {
            HealthWatch watch = new HealthWatch();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            long started = System.nanoTime();
            watch.thread = Thread.ofVirtual().start(() -> {
                String last = null;
                while (watch.running) {
                    String status;
                    try {
                        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/health"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                        status = JSON.readTree(response.body()).get("status").asString();
                    } catch (Exception e) {
                        status = "no answer";
                    }
                    if (!status.equals(last)) {
                        long now = System.nanoTime();
                        synchronized (watch.changes) {
                            watch.changes.put(now, status);
                        }
                        watch.statuses.add(status);
                        watch.log.add(String.format("%s at %.1f s", status, (now - started) / 1e9));
                        last = status;
                    }
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            return watch;
        }

        List<String> stop() throws InterruptedException {
            running = false;
            thread.join();
            return List.copyOf(statuses);
        }

        /** When health was first UP at or after {@code after}. */
        long upAgainAfter(long after) {
            synchronized (changes) {
                long up = Long.MAX_VALUE;
                String current = null;
                for (var change : changes.entrySet()) {
                    current = change.getValue();
                    if (change.getKey() <= after) {
                        continue;
                    }
                    if ("UP".equals(current)) {
                        return change.getKey();
                    }
                }
                // UP already when PostgreSQL was back (the poll saw no change after it): count it from then.
                return "UP".equals(current) ? after : up;
            }
        }
    }
}
