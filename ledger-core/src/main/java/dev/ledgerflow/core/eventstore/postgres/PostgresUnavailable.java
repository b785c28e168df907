package dev.ledgerflow.core.eventstore.postgres;

import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Tells a failure of PostgreSQL as a whole (down, restarting, unreachable, out of disk, or refusing
 * writes) from a failure of one statement. The first is not the request's fault nor a bug: the
 * caller answers "unavailable, retry later". A write that failed so either committed or did not,
 * atomically; a retry with the same idempotency key answers which.
 */
public final class PostgresUnavailable {

    /**
     * SQLSTATE classes and codes of a server that cannot serve: 08 connection exception, 53
     * insufficient resources (disk full, out of memory, too many connections), 57P01–57P03 shutting
     * down or starting, 58 system (I/O) error, 25006 a read-only transaction (the database was set
     * read-only, or is a standby).
     */
    private static final Set<String> CLASSES = Set.of("08", "53", "58");
    private static final Set<String> CODES = Set.of("57P01", "57P02", "57P03", "25006");

    private PostgresUnavailable() {}

    /** True when {@code failure}, or one of its causes, says PostgreSQL is unavailable or refuses writes. */
    public static boolean explains(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null && unavailable(r2dbc.getSqlState())) {
                return true;
            }
            // The driver's closed or broken session, a refused or timed-out connect, a pool that got none in time.
            if (t instanceof R2dbcNonTransientResourceException || t instanceof R2dbcTransientResourceException
                    || t instanceof ConnectException || t instanceof ClosedChannelException
                    || t instanceof TimeoutException && t.getClass().getName().startsWith("reactor.pool.")) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code failure} is PostgreSQL refusing a write because the database is read-only. */
    public static boolean readOnly(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof R2dbcException r2dbc && "25006".equals(r2dbc.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    private static boolean unavailable(String sqlState) {
        return CODES.contains(sqlState) || sqlState.length() >= 2 && CLASSES.contains(sqlState.substring(0, 2));
    }
}
