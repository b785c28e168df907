package dev.ledgerflow.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.testcontainers.containers.GenericContainer;

/**
 * The Redis server of this test JVM, started once: {@code LEDGER_TEST_REDIS_URL} if set, else a
 * Testcontainers Redis 7 when a Docker engine answers, else an embedded Redis.
 */
public final class TestRedis {

    private static volatile String url;

    private TestRedis() {}

    public static synchronized String url() {
        if (url == null) {
            url = start();
        }
        return url;
    }

    private static String start() {
        String configured = System.getenv("LEDGER_TEST_REDIS_URL");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        if (TestPostgres.dockerAvailable()) {
            GenericContainer<?> container = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            return "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
        }
        try {
            EmbeddedRedisServer server =
                    EmbeddedRedisServer.start(Files.createTempDirectory("ledgerflow-test-redis"), false, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            return server.url();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
