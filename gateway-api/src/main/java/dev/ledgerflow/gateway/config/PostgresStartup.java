package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Waits at start-up, before the schema migrations, for PostgreSQL to accept a connection: a database
 * that starts a few seconds after the service is normal in compose and Kubernetes. One line says which
 * server, what failed and what to check; then it retries quietly for {@code LEDGER_POSTGRES_STARTUP_WAIT}
 * and gives up with that line ({@link PostgresUnreachable}, reported without a stack trace by
 * {@link Analyzer}). Only a connection that cannot be made is waited for: a wrong password or a
 * missing database fails at once, since waiting cannot mend them.
 */
final class PostgresStartup {

    private static final Logger log = LoggerFactory.getLogger(PostgresStartup.class);
    private static final Duration RETRY_INTERVAL = Duration.ofMillis(500);

    private PostgresStartup() {}

    static void awaitReachable(PostgresSettings settings, Duration wait) {
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + wait.toNanos();
        boolean said = false;
        while (true) {
            SQLException failure = tryConnect(settings);
            if (failure == null) {
                if (said) {
                    log.info("PostgreSQL at {} is reachable after {} ms", settings,
                            Duration.ofNanos(System.nanoTime() - startNanos).toMillis());
                }
                return;
            }
            if (!waitable(failure)) {
                throw new PostgresUnreachable(line(settings, failure, "cannot be used") + " " + check(failure));
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw new PostgresUnreachable(line(settings, failure, "is not reachable after " + seconds(wait)) + " " + check(failure)
                        + " (LEDGER_POSTGRES_STARTUP_WAIT sets how long to wait.)");
            }
            if (!said) {
                log.warn("{} {} Waiting up to {} (LEDGER_POSTGRES_STARTUP_WAIT).",
                        line(settings, failure, "is not reachable"), check(failure), seconds(wait));
                said = true;
            }
            try {
                Thread.sleep(RETRY_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresUnreachable(line(settings, failure, "is not reachable (start-up interrupted)"));
            }
        }
    }

    private static SQLException tryConnect(PostgresSettings settings) {
        Properties properties = new Properties();
        properties.setProperty("user", settings.username());
        properties.setProperty("password", settings.password());
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "10");
        try (Connection ignored = DriverManager.getConnection(settings.jdbcUrl(), properties)) {
            return null;
        } catch (SQLException e) {
            return e;
        }
    }

    /** Connection failures (SQLSTATE class 08) and a server still starting up (57P03) may pass by themselves. */
    private static boolean waitable(SQLException failure) {
        String state = failure.getSQLState();
        return state == null || state.startsWith("08") || state.equals("57P03");
    }

    private static String line(PostgresSettings settings, SQLException failure, String what) {
        // PostgresSettings.toString() carries no password. The driver's own advice ("Check that the hostname
        // and port are correct …") gives way to ours, which names the setting.
        String reason = String.valueOf(failure.getMessage()).strip().replaceFirst("\\s*Check that the hostname.*$", "");
        return "PostgreSQL at " + settings + " " + what + ": " + reason.replaceFirst("\\.+$", "") + ".";
    }

    private static String check(SQLException failure) {
        return waitable(failure)
                ? "Check that PostgreSQL runs and that LEDGER_POSTGRES_URL names its host and port."
                : "Check the user, password and database in LEDGER_POSTGRES_URL.";
    }

    private static String seconds(Duration wait) {
        return wait.toMillis() % 1000 == 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms";
    }

    /** PostgreSQL could not be reached at start-up; the message is the whole story. */
    static final class PostgresUnreachable extends RuntimeException {
        PostgresUnreachable(String message) {
            super(message, null, false, false);
        }
    }

    /** Prints {@link PostgresUnreachable} as the start-up failure, without the stack traces around it. */
    static final class Analyzer extends AbstractFailureAnalyzer<PostgresUnreachable> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, PostgresUnreachable cause) {
            return new FailureAnalysis(cause.getMessage(),
                    "Start PostgreSQL or correct LEDGER_POSTGRES_URL, or set LEDGER_POSTGRES_STARTUP_WAIT to wait longer.", cause);
        }
    }
}
