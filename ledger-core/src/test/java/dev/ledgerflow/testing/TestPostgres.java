package dev.ledgerflow.testing;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server of this test JVM, started once: the server named by
 * {@code LEDGER_TEST_POSTGRES_URL} if set, else a Testcontainers PostgreSQL 17 when a Docker engine
 * answers, else an embedded PostgreSQL. Each test class asks for a fresh, migrated database.
 */
public final class TestPostgres {

    private static final AtomicInteger databases = new AtomicInteger();
    private static volatile PostgresSettings server;

    private TestPostgres() {}

    /** A new database with the schema applied. */
    public static PostgresSettings freshDatabase() {
        String name = "test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
        PostgresSettings admin = server();
        try (var connection = DriverManager.getConnection(admin.jdbcUrl(), admin.username(), admin.password());
                var statement = connection.createStatement()) {
            statement.execute("create database \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name, e);
        }
        PostgresSettings settings = admin.withDatabase(name);
        SchemaMigrations.migrate(settings);
        return settings;
    }

    /** The server, connected to its maintenance database. */
    public static synchronized PostgresSettings server() {
        if (server == null) {
            server = start();
        }
        return server;
    }

    private static PostgresSettings start() {
        String url = System.getenv("LEDGER_TEST_POSTGRES_URL");
        if (url != null && !url.isBlank()) {
            return PostgresSettings.parse(url);
        }
        if (dockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:17-alpine")
                    .withCommand("postgres", "-c", "max_connections=300", "-c", "fsync=off");
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            return PostgresSettings.parse(container.getJdbcUrl())
                    .withCredentials(container.getUsername(), container.getPassword());
        }
        try {
            Path directory = Files.createTempDirectory("ledgerflow-test-pg");
            EmbeddedPostgresServer embedded = EmbeddedPostgresServer.start(directory, false, false, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
            return embedded.settings("postgres");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static boolean dockerAvailable() {
        if ("false".equalsIgnoreCase(System.getenv("LEDGER_TEST_DOCKER"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }
}
