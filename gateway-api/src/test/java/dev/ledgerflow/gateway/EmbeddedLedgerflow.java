package dev.ledgerflow.gateway;

import dev.ledgerflow.testing.EmbeddedPostgresServer;
import dev.ledgerflow.testing.EmbeddedRedisServer;
import java.nio.file.Path;

/**
 * The embedded default: Ledgerflow with a real PostgreSQL and Redis started by this JVM, their data
 * kept under {@code .data/} so a restart keeps everything. Servers named by
 * {@code LEDGER_POSTGRES_URL} / {@code LEDGER_REDIS_URL} are used instead when set. This class lives
 * in the test sources, so the embedded servers never reach the production jar; run it with
 * {@code ./mvnw -pl gateway-api -am spring-boot:test-run}.
 */
public final class EmbeddedLedgerflow {

    private EmbeddedLedgerflow() {}

    public static void main(String[] args) {
        Path data = Path.of(System.getProperty("ledger.data-dir", ".data")).toAbsolutePath();
        if (isUnset("LEDGER_POSTGRES_URL")) {
            EmbeddedPostgresServer postgres =
                    EmbeddedPostgresServer.start(data.resolve("postgres"), true, true, intProperty("ledger.embedded.postgres-port", 0));
            postgres.createDatabase("ledgerflow");
            System.setProperty("ledger.postgres-url", postgres.settings("ledgerflow").url());
            System.out.println("Embedded PostgreSQL on port " + postgres.port() + ", data in " + data.resolve("postgres"));
        }
        if (isUnset("LEDGER_REDIS_URL")) {
            EmbeddedRedisServer redis =
                    EmbeddedRedisServer.start(data.resolve("redis"), true, intProperty("ledger.embedded.redis-port", 0));
            Runtime.getRuntime().addShutdownHook(new Thread(redis::close));
            System.setProperty("ledger.redis-url", redis.url());
            System.out.println("Embedded Redis on port " + redis.port() + ", data in " + data.resolve("redis"));
        }
        // A local run delivers webhooks to receivers on this machine; production refuses private destinations.
        if (System.getProperty("ledger.webhooks.allow-private-destinations") == null
                && isUnset("LEDGER_WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS")) {
            System.setProperty("ledger.webhooks.allow-private-destinations", "true");
        }
        LedgerflowApplication.main(args);
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
