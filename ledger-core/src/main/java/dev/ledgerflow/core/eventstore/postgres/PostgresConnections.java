package dev.ledgerflow.core.eventstore.postgres;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Builds R2DBC connection factories for one PostgreSQL server. */
public final class PostgresConnections {

    private static final Logger log = LoggerFactory.getLogger(PostgresConnections.class);
    /** While PostgreSQL is down, how often a pool tries to connect in the background (its requests are refused at once). */
    static final Duration PROBE_INTERVAL = Duration.ofMillis(250);

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

    /**
     * A pool of sessions for queries and appends. A session goes back to the pool only outside a
     * transaction: one still open (a cancelled reader that began it with SQL, say) is rolled back on
     * release, so the next borrower never inherits another's snapshot or locks. While PostgreSQL is
     * known to be down, borrowing fails at once ({@link FailFastConnections}).
     */
    public static ConnectionPool pooled(PostgresSettings settings, String applicationName, int maxSize) {
        return new ConnectionPool(ConnectionPoolConfiguration.builder(
                        new FailFastConnections(direct(settings, applicationName), applicationName, PROBE_INTERVAL))
                .name(applicationName)
                .initialSize(Math.min(2, maxSize))
                .maxSize(maxSize)
                .maxIdleTime(Duration.ofMinutes(10))
                .maxAcquireTime(Duration.ofSeconds(30))
                .preRelease(PostgresConnections::endOpenTransaction)
                .build());
    }

    private static Publisher<Void> endOpenTransaction(Connection connection) {
        if (connection.isAutoCommit()) { // the driver's view of the server: idle, no transaction open
            return Mono.empty();
        }
        log.warn("A pooled PostgreSQL session was released inside a transaction; rolling it back");
        return Flux.from(connection.createStatement("rollback").execute()).flatMap(result -> result.getRowsUpdated()).then();
    }
}
