package dev.ledgerflow.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service under test, started as its own process: the embedded default (a real PostgreSQL with
 * fsync and synchronous_commit on, and a real Redis), with a fresh data folder for every run; or
 * pointed at servers the harness runs itself ({@link #startExternal}), which the chaos scenarios kill
 * and restart, and then the service itself can be killed ({@link #kill9()}) and started again
 * ({@link #restart()}) on the same port, with the same keys and data.
 */
final class ServiceProcess implements AutoCloseable {

    private static final Pattern POSTGRES_PORT = Pattern.compile("Embedded PostgreSQL on port (\\d+)");
    private static final Pattern REDIS_PORT = Pattern.compile("Embedded Redis on port (\\d+)");
    private static final Pattern KAFKA_BOOTSTRAP = Pattern.compile("Embedded Kafka on (\\S+), data in");

    private final Process process;
    final int port;
    final String adminKey;
    final String postgresJdbcUrl;
    /** The embedded Kafka broker's bootstrap servers; null when the service runs without Kafka. */
    final String kafkaBootstrap;
    /** The embedded Redis's port (the first instance's, which the others share); 0 when the harness runs Redis. */
    final int redisPort;
    /** The name this instance has among others ({@code /admin/cluster}). */
    final String instanceId;
    private final Path workDirectory;
    private final Path dataDirectory;
    private final List<String> command;
    private final Map<String, String> environment;

    private ServiceProcess(Process process, int port, String adminKey, String postgresJdbcUrl, String kafkaBootstrap,
            int redisPort, String instanceId, Path workDirectory, Path dataDirectory, List<String> command,
            Map<String, String> environment) {
        this.redisPort = redisPort;
        this.instanceId = instanceId;
        this.dataDirectory = dataDirectory;
        this.workDirectory = workDirectory;
        this.command = command;
        this.environment = environment;
        this.process = process;
        this.port = port;
        this.adminKey = adminKey;
        this.postgresJdbcUrl = postgresJdbcUrl;
        this.kafkaBootstrap = kafkaBootstrap;
    }

    static ServiceProcess start(String classpath, Path workDirectory, List<String> jvmOptions, List<String> properties)
            throws IOException, InterruptedException {
        return start(classpath, workDirectory, workDirectory.resolve("data"), jvmOptions, properties, Map.of(), null,
                newAdminKey(), "instance-1", 0);
    }

    /**
     * One more instance of the service on the first one's embedded PostgreSQL and Redis (and its data
     * folder, for the same key of webhook secrets): {@code --instances N} of the benchmark.
     */
    static ServiceProcess startAnother(ServiceProcess first, int number, String classpath, List<String> jvmOptions,
            List<String> properties) throws IOException, InterruptedException {
        Path work = first.workDirectory.resolve("instance-" + number);
        Files.createDirectories(work);
        String pgPort = first.postgresJdbcUrl.replaceAll(".*localhost:(\\d+)/.*", "$1");
        Map<String, String> servers = Map.of(
                "LEDGER_POSTGRES_URL", "postgresql://postgres@localhost:" + pgPort + "/ledgerflow",
                "LEDGER_REDIS_URL", "redis://localhost:" + first.redisPort);
        return start(classpath, work, first.dataDirectory, jvmOptions, properties, servers, first.postgresJdbcUrl,
                first.adminKey, "instance-" + number, first.redisPort);
    }

    /**
     * The service against servers the harness runs: {@code environment} names them
     * ({@code LEDGER_POSTGRES_URL}, {@code LEDGER_REDIS_URL}, {@code LEDGER_KAFKA_BOOTSTRAP}).
     */
    static ServiceProcess startExternal(String classpath, Path workDirectory, List<String> jvmOptions, List<String> properties,
            Map<String, String> environment, String postgresJdbcUrl) throws IOException, InterruptedException {
        return start(classpath, workDirectory, workDirectory.resolve("data"), jvmOptions, properties, environment,
                postgresJdbcUrl, newAdminKey(), "instance-1", 0);
    }

    private static String newAdminKey() {
        return "ak_bench_" + Long.toHexString(System.nanoTime());
    }

    private static ServiceProcess start(String classpath, Path workDirectory, Path data, List<String> jvmOptions,
            List<String> properties, Map<String, String> environment, String postgresJdbcUrl, String adminKey,
            String instanceId, int knownRedisPort) throws IOException, InterruptedException {
        int port = freePort();
        Files.createDirectories(data);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dledger.data-dir=" + data);
        command.add("-Dledger.access-log.level=WARN"); // a line per request would be part of every figure
        command.addAll(properties);
        command.add("-cp");
        command.add(classpath);
        command.add("dev.ledgerflow.gateway.EmbeddedLedgerflow");
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("PORT", Integer.toString(port));
        env.put("LEDGER_ADMIN_KEY", adminKey);
        env.put("LEDGER_CLUSTER_INSTANCE_ID", instanceId);
        return launch(command, env, workDirectory, data, port, adminKey, postgresJdbcUrl, instanceId, knownRedisPort);
    }

    /** Starts the service again after {@link #kill9()}: same port, admin key, data and servers. */
    ServiceProcess restart() throws IOException, InterruptedException {
        return launch(command, environment, workDirectory, dataDirectory, port, adminKey, postgresJdbcUrl, instanceId,
                redisPort);
    }

    /** SIGKILL, as a crash would: no shutdown hook runs, nothing is flushed or closed, no lease given back. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** How long a start may take before the harness gives up on it. */
    private static final long START_WAIT_SECONDS = 600;

    private static ServiceProcess launch(List<String> command, Map<String, String> environment, Path workDirectory,
            Path data, int port, String adminKey, String knownJdbcUrl, String instanceId, int knownRedisPort)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("LEDGER_POSTGRES_URL");
        builder.environment().remove("LEDGER_REDIS_URL");
        // Kafka only when the harness asks for it (-Dledger.embedded.kafka=true): a relay disturbs every other figure.
        builder.environment().remove("LEDGER_KAFKA_BOOTSTRAP");
        builder.environment().remove("LEDGER_EMBEDDED_KAFKA");
        builder.environment().putAll(environment);
        Process process = builder.start();
        Path log = workDirectory.resolve("service.log");
        CompletableFuture<Integer> postgresPort = new CompletableFuture<>();
        CompletableFuture<Integer> redisPort = new CompletableFuture<>();
        CompletableFuture<String> kafkaBootstrap = new CompletableFuture<>();
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    out.println(line);
                    out.flush();
                    Matcher matcher = POSTGRES_PORT.matcher(line);
                    if (matcher.find()) {
                        postgresPort.complete(Integer.parseInt(matcher.group(1)));
                    }
                    Matcher redis = REDIS_PORT.matcher(line);
                    if (redis.find()) {
                        redisPort.complete(Integer.parseInt(redis.group(1)));
                    }
                    Matcher kafka = KAFKA_BOOTSTRAP.matcher(line);
                    if (kafka.find()) {
                        kafkaBootstrap.complete(kafka.group(1));
                    }
                    if (line.contains("Ledgerflow is running")) {
                        started.complete(null);
                    }
                }
            } catch (IOException e) {
                started.completeExceptionally(e);
            }
            started.completeExceptionally(new IllegalStateException("the service exited; see " + log));
        }, "service-log");
        pump.setDaemon(true);
        pump.start();
        try {
            // A restart on a saturated machine (other builds, the load generator's retries) took 173 s in a chaos run.
            started.get(START_WAIT_SECONDS, TimeUnit.SECONDS);
            String jdbcUrl = knownJdbcUrl != null ? knownJdbcUrl
                    : "jdbc:postgresql://localhost:" + postgresPort.get(1, TimeUnit.SECONDS) + "/ledgerflow?user=postgres";
            return new ServiceProcess(process, port, adminKey, jdbcUrl, kafkaBootstrap.getNow(null),
                    knownRedisPort != 0 ? knownRedisPort : redisPort.getNow(0), instanceId, workDirectory, data, command,
                    environment);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the service did not start; see " + log, e);
        }
    }

    Path workDirectory() {
        return workDirectory;
    }

    /** Everything the service printed, one line a line. */
    Path log() {
        return workDirectory.resolve("service.log");
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
