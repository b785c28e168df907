package dev.ledgerflow.testing;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server started by this JVM from the binaries Maven Central ships (zonky). Used
 * by the tests and by the embedded default run; never part of the production jar.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDirectory kept across starts when {@code persistent}; a fresh cluster otherwise
     * @param durable fsync on (the embedded default run) or off (throw-away test clusters)
     */
    public static EmbeddedPostgresServer start(Path dataDirectory, boolean persistent, boolean durable, int port) {
        return start(dataDirectory, persistent, durable, port, true);
    }

    /**
     * The embedded default's server: persistent and durable, stopped by its owner ({@link #close()}) in
     * the order the owner chooses, not by a shutdown hook of its own that would race the service's
     * stop. A server an earlier owner left serving on this folder (that JVM was killed) is stopped first.
     */
    public static EmbeddedPostgresServer startOwned(Path dataDirectory, int port) {
        LeftOverServer.stop(dataDirectory.resolve("postmaster.pid"), "postgres");
        return start(dataDirectory, true, true, port, false);
    }

    private static EmbeddedPostgresServer start(Path dataDirectory, boolean persistent, boolean durable, int port,
            boolean shutdownHook) {
        try {
            Files.createDirectories(dataDirectory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setRegisterShutdownHook(shutdownHook)
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(!persistent)
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("shared_buffers", "256MB")
                    .setServerConfig("fsync", durable ? "on" : "off")
                    .setServerConfig("synchronous_commit", durable ? "on" : "off")
                    .setServerConfig("full_page_writes", durable ? "on" : "off")
                    // Statements and their time per query, for the cost test and the benchmarks
                    // (create extension pg_stat_statements in a database to read them).
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                    .setServerConfig("pg_stat_statements.track", "top")
                    .setServerConfig("pg_stat_statements.max", "5000");
            if (port > 0) {
                builder.setPort(port);
            }
            return new EmbeddedPostgresServer(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded PostgreSQL in " + dataDirectory, e);
        }
    }

    public PostgresSettings settings(String database) {
        return new PostgresSettings("localhost", postgres.getPort(), database, "postgres", "");
    }

    public int port() {
        return postgres.getPort();
    }

    /** Creates a database unless it exists. */
    public void createDatabase(String name) {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            var exists = statement.executeQuery("select 1 from pg_database where datname = '" + name + "'");
            if (!exists.next()) {
                statement.execute("create database \"" + name + "\"");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
