package dev.ledgerflow.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * The Kafka cluster of this test JVM, started once: the one named by {@code LEDGER_TEST_KAFKA_BOOTSTRAP}
 * if set, else an {@link EmbeddedKafkaServer}. Tests that stop the broker start their own instead.
 */
public final class TestKafka {

    private static volatile String bootstrapServers;

    private TestKafka() {}

    public static synchronized String bootstrapServers() {
        if (bootstrapServers == null) {
            bootstrapServers = start();
        }
        return bootstrapServers;
    }

    private static String start() {
        String configured = System.getenv("LEDGER_TEST_KAFKA_BOOTSTRAP");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        try {
            EmbeddedKafkaServer server = EmbeddedKafkaServer.start(Files.createTempDirectory("ledgerflow-test-kafka"), 0);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            return server.bootstrapServers();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
