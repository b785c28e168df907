package dev.ledgerflow.gateway;

import dev.ledgerflow.testing.EmbeddedKafkaServer;
import dev.ledgerflow.testing.EmbeddedPostgresServer;
import dev.ledgerflow.testing.EmbeddedRedisServer;
import dev.ledgerflow.gateway.auth.AdminKey;
import dev.ledgerflow.gateway.logchain.LogSigningKey;
import dev.ledgerflow.delivery.webhook.SecretsKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The embedded default: Ledgerflow with a real PostgreSQL and Redis started by this JVM, their data
 * kept under {@code .data/} so a restart keeps everything. Servers named by
 * {@code LEDGER_POSTGRES_URL} / {@code LEDGER_REDIS_URL} are used instead when set. With
 * {@code LEDGER_EMBEDDED_KAFKA=true} (or {@code -Dledger.embedded.kafka=true}) and no
 * {@code LEDGER_KAFKA_BOOTSTRAP}, a Kafka broker (KRaft, data under {@code .data/kafka}) starts too and
 * the Kafka relay is on. Without {@code LEDGER_WEBHOOKS_SECRETS_KEY}, the key webhook secrets are
 * encrypted under is generated on the first start and kept in {@code .data/webhook-secrets-key}; likewise,
 * without {@code LEDGER_API_KEYS_HASH_KEY}, the secret of API keys' keyed hash in {@code .data/api-keys-hash-key}
 * (and without {@code LEDGER_LOG_SIGNING_KEY}, the Ed25519 key of log checkpoints in {@code .data/log-signing-key}). This class lives
 * in the test sources, so the embedded servers never reach the production jar; run it with
 * {@code ./mvnw -pl gateway-api -am spring-boot:test-run}.
 */
public final class EmbeddedLedgerflow {

    private EmbeddedLedgerflow() {}

    public static void main(String[] args) {
        // Before anything logs: the access log is on in the embedded default (logback-test.xml keeps it off in tests).
        if (System.getProperty("ledger.access-log.level") == null) {
            System.setProperty("ledger.access-log.level", "INFO");
        }
        Path data = Path.of(System.getProperty("ledger.data-dir", ".data")).toAbsolutePath();
        // One ordered stop (below) instead of Spring's, zonky's and embedded-redis's shutdown hooks, which
        // ran at once: PostgreSQL and Redis went away under a service still draining requests and
        // saving checkpoints (~1,600 lines of 57P03 and connection refused at every Ctrl-C).
        System.setProperty("logging.register-shutdown-hook", "false");
        OrderedStop stop = new OrderedStop();
        Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "ledgerflow-stop"));
        if (isUnset("LEDGER_POSTGRES_URL")) {
            EmbeddedPostgresServer postgres =
                    EmbeddedPostgresServer.startOwned(data.resolve("postgres"), intProperty("ledger.embedded.postgres-port", 0));
            stop.add(postgres);
            postgres.createDatabase("ledgerflow");
            System.setProperty("ledger.postgres-url", postgres.settings("ledgerflow").url());
            System.out.println("Embedded PostgreSQL on port " + postgres.port() + ", data in " + data.resolve("postgres"));
        }
        if (isUnset("LEDGER_REDIS_URL")) {
            EmbeddedRedisServer redis = EmbeddedRedisServer.startOwned(data.resolve("redis"), intProperty("ledger.embedded.redis-port", 0));
            stop.add(redis);
            System.setProperty("ledger.redis-url", redis.url());
            System.out.println("Embedded Redis on port " + redis.port() + ", data in " + data.resolve("redis"));
        }
        if (isUnset("LEDGER_KAFKA_BOOTSTRAP") && embeddedKafkaWanted()) {
            EmbeddedKafkaServer kafka = EmbeddedKafkaServer.start(data.resolve("kafka"), intProperty("ledger.embedded.kafka-port", 0));
            stop.add(kafka);
            System.setProperty("ledger.kafka-bootstrap", kafka.bootstrapServers());
            System.out.println("Embedded Kafka on " + kafka.bootstrapServers() + ", data in " + data.resolve("kafka"));
        }
        // A local run delivers webhooks to receivers on this machine; production refuses private destinations.
        if (System.getProperty("ledger.webhooks.allow-private-destinations") == null
                && isUnset("LEDGER_WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS")) {
            System.setProperty("ledger.webhooks.allow-private-destinations", "true");
        }
        if (System.getProperty("ledger.webhooks.secrets.key") == null && isUnset("LEDGER_WEBHOOKS_SECRETS_KEY")) {
            System.setProperty("ledger.webhooks.secrets.key", generatedSecret(data.resolve("webhook-secrets-key"), "webhook secrets key"));
        }
        if (System.getProperty("ledger.api-keys.hash-key") == null && isUnset("LEDGER_API_KEYS_HASH_KEY")) {
            System.setProperty("ledger.api-keys.hash-key", generatedSecret(data.resolve("api-keys-hash-key"), "API keys' hash key"));
        }
        if (System.getProperty("ledger.log.signing-key") == null && isUnset("LEDGER_LOG_SIGNING_KEY")) {
            System.setProperty("ledger.log.signing-key", generatedSecret(data.resolve("log-signing-key"), "log signing key",
                    LogSigningKey::newKeyBase64));
        }
        // The admin key is kept like the demo merchant's, so the commands of README work across restarts.
        boolean adminKeyGenerated = System.getProperty("ledger.admin-key") == null && isUnset("LEDGER_ADMIN_KEY");
        if (adminKeyGenerated) {
            System.setProperty("ledger.admin-key", generatedSecret(data.resolve("admin-key"), "admin key", () -> {
                byte[] bytes = new byte[24];
                new java.security.SecureRandom().nextBytes(bytes);
                return "ak_" + java.util.HexFormat.of().formatHex(bytes);
            }));
        }
        SpringApplication application = new SpringApplication(LedgerflowApplication.class);
        application.setRegisterShutdownHook(false);
        ConfigurableApplicationContext context = application.run(args);
        // The service stops first (draining requests, then consumers saving their checkpoints, then its
        // pools), then the servers it used, the last started first.
        stop.add(context);
        printDemoMerchantKey(context, data.resolve("demo-merchant-key"), adminKeyGenerated ? data.resolve("admin-key") : null);
    }

    /**
     * What the JVM's shutdown stops, in order: the service, then Kafka, Redis and PostgreSQL. A server
     * is added as soon as it started, so a stop during start-up stops what is already running.
     */
    private static final class OrderedStop {

        private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

        /** Stopped before everything added earlier (the service before the servers it uses). */
        synchronized void add(AutoCloseable closeable) {
            closeables.addFirst(closeable);
        }

        synchronized void run() {
            while (!closeables.isEmpty()) {
                AutoCloseable next = closeables.removeFirst();
                try {
                    next.close();
                } catch (Exception e) {
                    System.err.println("Stopping " + next + " failed: " + e);
                }
            }
            System.out.println("Ledgerflow stopped");
        }
    }

    /**
     * The key of webhook secrets at rest, generated on the first start and kept beside the database
     * whose secrets it encrypts (owner-only where the file system allows): deleting it alone would
     * leave those secrets unreadable, and the service would refuse to start.
     */
    private static String generatedSecret(Path keyFile, String what) {
        return generatedSecret(keyFile, what, SecretsKey::newKeyBase64);
    }

    private static String generatedSecret(Path keyFile, String what, java.util.function.Supplier<String> newKey) {
        try {
            if (!Files.exists(keyFile)) {
                Files.createDirectories(keyFile.getParent());
                String key = newKey.get();
                if (keyFile.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(keyFile, key, StandardOpenOption.TRUNCATE_EXISTING);
                } else {
                    Files.writeString(keyFile, key, StandardOpenOption.CREATE_NEW);
                }
                System.out.println("Generated the " + what + " in " + keyFile + " (keep it with the data folder)");
            }
            return Files.readString(keyFile).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean embeddedKafkaWanted() {
        return "true".equalsIgnoreCase(System.getenv("LEDGER_EMBEDDED_KAFKA"))
                || Boolean.getBoolean("ledger.embedded.kafka");
    }

    /**
     * Creates a demo merchant on the first start and prints its API key on every start. The key is
     * kept in .data/ (this is the development runner; the service itself stores keys only hashed).
     */
    private static void printDemoMerchantKey(ConfigurableApplicationContext context, Path keyFile, Path adminKeyFile) {
        try {
            if (!Files.exists(keyFile)) {
                String port = context.getEnvironment().getProperty("local.server.port");
                String admin = context.getBean(AdminKey.class).value();
                Map<?, ?> created = WebClient.create("http://localhost:" + port).post().uri("/v1/merchants")
                        .header("Authorization", "Bearer " + admin)
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"name\":\"Demo merchant\"}")
                        .retrieve()
                        .bodyToMono(Map.class)
                        .block(Duration.ofSeconds(10));
                Files.writeString(keyFile, (String) created.get("api_key"));
            }
            String merchantKey = Files.readString(keyFile).strip();
            System.out.println();
            System.out.println("Ledgerflow is running on http://localhost:" + context.getEnvironment().getProperty("local.server.port"));
            System.out.println("Demo merchant API key: " + merchantKey);
            System.out.println(adminKeyFile != null
                    ? "Admin key: kept in " + adminKeyFile
                    : "Admin key: LEDGER_ADMIN_KEY, as set");
            System.out.println();
            System.out.println("To use README's commands, paste into your shell:");
            System.out.println("  export KEY=" + merchantKey);
            if (adminKeyFile != null) {
                System.out.println("  export LEDGER_ADMIN_KEY=" + Files.readString(adminKeyFile).strip());
            }
            System.out.println();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isUnset(String variable) {
        String value = System.getenv(variable);
        return value == null || value.isBlank();
    }

    private static int intProperty(String name, int fallback) {
        String value = System.getProperty(name);
        return value == null ? fallback : Integer.parseInt(value);
    }
}
