package dev.ledgerflow.core.eventstore.postgres;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.time.Duration;

/** Builds R2DBC connection factories for one PostgreSQL server. */
public final class PostgresConnections {

    private PostgresConnections() {}

    /** A plain (unpooled) factory: each connection is a new session, as LISTEN needs. */
    public static PostgresqlConnectionFactory direct(PostgresSettings settings, String applicationName) {
        return new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(settings.host())
                .port(settings.port())
                .database(settings.database())
                .username(settings.username())
                .password(settings.password())
                .applicationName(applicationName)
                .connectTimeout(Duration.ofSeconds(10))
                .tcpNoDelay(true)
                .build());
    }

    /** A pool of sessions for queries and appends. */
    public static ConnectionPool pooled(PostgresSettings settings, String applicationName, int maxSize) {
        return new ConnectionPool(ConnectionPoolConfiguration.builder(direct(settings, applicationName))
                .name(applicationName)
                .initialSize(Math.min(2, maxSize))
                .maxSize(maxSize)
                .maxIdleTime(Duration.ofMinutes(10))
                .maxAcquireTime(Duration.ofSeconds(30))
                .build());
    }
}
