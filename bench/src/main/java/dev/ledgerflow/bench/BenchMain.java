package dev.ledgerflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the benchmark: starts the service (the embedded default, fsync on; with an embedded Kafka broker
 * only when the {@code relay} scenario is asked for) unless a base URL is given, runs the scenarios,
 * checks that nothing was lost, and writes bench/results/. Exits non-zero when a check fails.
 */
public final class BenchMain {

    public static void main(String[] args) throws Exception {
        // A connection the service closes is counted by the load; its client's warning per connection is noise.
        if (System.getProperty("org.slf4j.simpleLogger.log.reactor.netty") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.reactor.netty", "error");
        }
        Map<String, String> options = parse(args);
        Duration duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "60")));
        var settings = new Scenarios.Settings(
                Integer.parseInt(options.getOrDefault("connections", "64")),
                duration,
                Double.parseDouble(options.getOrDefault("payment-rate", "10000")),
                Double.parseDouble(options.getOrDefault("read-rate", "20000")),
                Integer.parseInt(options.getOrDefault("accounts", "1000")),
                Integer.parseInt(options.getOrDefault("hot-accounts", "4")));
        List<String> scenarios = new ArrayList<>(Arrays.stream(options.getOrDefault("scenarios", "payments,transfers,reads,e2e,sse,rebuild,idle")
                .split(",")).map(String::strip).toList());
        if (scenarios.stream().anyMatch(s -> s.startsWith("chaos"))) {
            // The chaos scenarios own their servers and service, and run alone.
            if (!scenarios.stream().allMatch(s -> s.startsWith("chaos"))) {
                throw new IllegalArgumentException("the chaos scenarios run alone: --scenarios chaos, or some of " + Chaos.ALL);
            }
            boolean passed = new Chaos(options, Chaos.selected(scenarios)).run(required(options, "service-classpath"),
                    options.getOrDefault("command", "bench/run"));
            if (!passed) {
                System.out.println("A CHAOS CHECK FAILED (loss, duplicate, double charge or a failed check above)");
            }
            System.exit(passed ? 0 : 1);
        }
        Duration idleFor = Duration.ofSeconds(Long.parseLong(options.getOrDefault("idle-seconds", "10")));
        if (!scenarios.contains("idle") && !idleFor.isZero()) {
            scenarios.add("idle"); // every run ends with the idle measurement (--idle-seconds 0: none)
        }
        // --create-only: the service runs without its background consumers, so a payment costs what accepting it costs.
        boolean createOnly = options.containsKey("create-only");
        List<String> needConsumers = scenarios.stream().filter(s -> List.of("e2e", "sse", "rebuild", "relay").contains(s)).toList();
        if (createOnly && !needConsumers.isEmpty()) {
            throw new IllegalArgumentException("--create-only runs without the consumers that " + needConsumers + " need");
        }
        Report report = new Report();
        report.environment("machine", Report.machine());
        Path results = Path.of(options.getOrDefault("results", "bench/results"));

        ServiceProcess service = null;
        int instanceCount = Integer.parseInt(options.getOrDefault("instances", "1"));
        List<ServiceProcess> others = new ArrayList<>();
        List<String> baseUrls = new ArrayList<>();
        CpuMeter cpuMeter = null;
        String baseUrl = options.get("base-url");
        String adminKey = options.get("admin-key");
        String jdbcUrl = options.get("postgres-jdbc-url");
        // The relay publishes every event during every scenario of the run: only a run with the relay scenario turns Kafka on.
        boolean kafka = scenarios.stream().anyMatch(scenario -> scenario.strip().equals("relay"));
        String kafkaBootstrap = options.get("kafka-bootstrap");
        if (baseUrl == null) {
            Path work = Files.createTempDirectory("ledgerflow-bench");
            List<String> jvm = new ArrayList<>(List.of(options.getOrDefault("service-jvm", "-Xms2g -Xmx2g -XX:+UseParallelGC").split(" ")));
            if (options.containsKey("profile")) {
                jvm.add("-XX:StartFlightRecording=filename=" + work.resolve("service.jfr") + ",settings=profile,dumponexit=true");
            }
            System.out.println("Starting the service (embedded PostgreSQL and Redis) in " + work);
            // With Kafka, the producer's settings are logged (AbstractConfig at INFO) so the report can say what was measured.
            List<String> properties = new ArrayList<>(kafka ? List.of("-Dledger.embedded.kafka=true",
                    "-Dlogging.level.org.apache.kafka.common.config.AbstractConfig=INFO") : List.of());
            if (createOnly) {
                properties.add("-Dledger.consumers.enabled=false");
            }
            service = ServiceProcess.start(required(options, "service-classpath"), work, jvm, properties);
            baseUrl = "http://localhost:" + service.port;
            adminKey = service.adminKey;
            jdbcUrl = service.postgresJdbcUrl;
            report.environment("service", "embedded default started by the harness (" + String.join(" ", jvm) + "), pid " + service.pid());
            if (kafka) {
                kafkaBootstrap = service.kafkaBootstrap;
                report.environment("kafka", "a KRaft broker embedded in the service JVM at " + kafkaBootstrap
                        + "; the relay publishes during every scenario of this run");
            }
            baseUrls.add(baseUrl);
            for (int n = 2; n <= instanceCount; n++) {
                System.out.println("Starting instance " + n + " on the same PostgreSQL and Redis");
                ServiceProcess another = ServiceProcess.startAnother(service, n, required(options, "service-classpath"), jvm, properties);
                others.add(another);
                baseUrls.add("http://localhost:" + another.port);
            }
            if (instanceCount > 1) {
                report.environment("instances", instanceCount + " service processes on one PostgreSQL and Redis (the first one's"
                        + " embedded servers), end-to-end load spread round robin over them; CPU below is the first process's only");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> others.forEach(other -> {
                    try {
                        other.close();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })));
            }
            cpuMeter = new CpuMeter(service.pid(), work.resolve("data"));
            report.meter(cpuMeter);
            ServiceProcess started = service;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close(); // an interrupted run leaves no service (nor its PostgreSQL) behind
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        } else {
            report.environment("service", baseUrl);
            baseUrls.add(baseUrl);
        }
        try {
            Checks checks = new Checks(required(Map.of("postgres-jdbc-url", jdbcUrl == null ? "" : jdbcUrl), "postgres-jdbc-url"));
            report.environment("postgres", "fsync=" + checks.setting("fsync") + ", synchronous_commit=" + checks.setting("synchronous_commit"));
            report.statements(PgStatements.open(checks));
            if (createOnly) {
                report.environment("mode", "**create-only**: the service runs with ledger.consumers.enabled=false (no payment processor,"
                        + " projections, webhook dispatcher or workers, SSE hub, Kafka relay): payments are accepted and stay processing"
                        + (service == null ? " (a running service must have been started with LEDGER_CONSUMERS_ENABLED=false)" : ""));
            }
            report.environment("load", settings.connections() + " connections, " + duration.toSeconds() + " s per run, load generator on the same machine");
            Http admin = new Http(baseUrl, 4);
            String created = admin.post("/v1/merchants", adminKey, "{\"name\":\"bench\"}", null).block().body();
            String merchantKey = JsonMapper.builder().build().readTree(created).get("api_key").asString();
            Scenarios run = new Scenarios(baseUrl, settings, report, checks, merchantKey, createOnly);
            System.out.println("Warming up …");
            run.warmUp(Duration.ofSeconds(Long.parseLong(options.getOrDefault("warm-up-max", "120"))));
            for (String scenario : scenarios) {
                System.out.println("Scenario: " + scenario);
                switch (scenario.strip()) {
                    case "payments" -> run.payments();
                    case "transfers" -> run.transfers();
                    case "reads" -> run.reads();
                    case "e2e" -> new EndToEnd(new Http(baseUrls, settings.connections()), admin, merchantKey, adminKey, report, checks,
                            baseUrls).run(Double.parseDouble(options.getOrDefault("e2e-rate", "3000")), duration);
                    case "takeover" -> {
                        if (others.isEmpty()) {
                            throw new IllegalArgumentException("the takeover scenario needs --instances 2 or more");
                        }
                        new Takeover(new Http(baseUrl, settings.connections()), admin, merchantKey, adminKey, report, checks)
                                .run(others.getLast(), Double.parseDouble(options.getOrDefault("takeover-rate", "50")),
                                        Duration.ofSeconds(Long.parseLong(options.getOrDefault("takeover-seconds", "15"))));
                        baseUrls.removeLast();
                    }
                    case "sse" -> new SseFanOut(baseUrl, adminKey, SseFanOut.Settings.from(options, duration), report, checks).run();
                    case "rebuild" -> new RebuildScenario(baseUrl, adminKey, report, checks,
                            Long.parseLong(options.getOrDefault("rebuild-events", "1000000")), Optional.ofNullable(cpuMeter)).run();
                    case "relay" -> new RelayScenario(baseUrl, adminKey, report, checks,
                            Long.parseLong(options.getOrDefault("relay-events", "1000000")),
                            new RelayTopic(required(Map.of("kafka-bootstrap", kafkaBootstrap == null ? "" : kafkaBootstrap), "kafka-bootstrap"),
                                    options.getOrDefault("kafka-topic", "ledgerflow.events"), checks),
                            Optional.ofNullable(cpuMeter), Optional.ofNullable(service).map(ServiceProcess::log)).run();
                    case "idle" -> idle(report, admin, adminKey, createOnly, idleFor.isZero() ? Duration.ofSeconds(10) : idleFor);
                    default -> throw new IllegalArgumentException("unknown scenario " + scenario);
                }
            }
        } finally {
            for (ServiceProcess other : others) {
                other.close();
            }
            if (service != null) {
                service.close();
            }
        }
        if (service != null && options.containsKey("profile")) {
            Path recording = service.workDirectory().resolve("service.jfr");
            if (Files.exists(recording)) {
                report.profile(Profile.summarize(recording));
            }
        }
        Path written = report.write(results, options.getOrDefault("command", "bench/run"));
        System.out.println("Results: " + written);
        if (!report.allChecksPassed()) {
            System.out.println("A NO-LOSS CHECK FAILED");
            System.exit(1);
        }
    }

    /** No traffic: once the feed's readers caught up with what came before, the CPU and the SQL statements per second. */
    private static void idle(Report report, Http admin, String adminKey, boolean createOnly, Duration duration) throws InterruptedException {
        String after;
        if (createOnly) {
            Thread.sleep(3_000);
            after = "3 s after the previous scenario (create-only: nothing to catch up)";
        } else {
            long waited = System.nanoTime();
            long behind = EndToEnd.ProjectionLag.waitUntilCaughtUp(admin, adminKey, Duration.ofMinutes(3));
            Thread.sleep(3_000);
            after = String.format("3 s after every reader of the feed caught up (waited %.1f s%s)", (System.nanoTime() - waited) / 1e9,
                    behind == 0 ? "" : ", " + behind + " events still behind");
        }
        report.idle(duration, after);
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String name = args[i].substring(2);
            if (name.contains("=")) {
                options.put(name.substring(0, name.indexOf('=')), name.substring(name.indexOf('=') + 1));
            } else if (i + 1 == args.length || args[i + 1].startsWith("--")) {
                options.put(name, "true"); // a flag, such as --profile
            } else {
                options.put(name, args[++i]);
            }
        }
        return options;
    }
}
