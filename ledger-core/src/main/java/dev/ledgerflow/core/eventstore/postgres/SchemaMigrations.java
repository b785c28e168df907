package dev.ledgerflow.core.eventstore.postgres;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned schema migrations ({@code db/migration} on the class path of every module)
 * over JDBC. Runs once at start-up, before any reactive traffic, so its blocking is harmless.
 */
public final class SchemaMigrations {

    private SchemaMigrations() {}

    public static MigrateResult migrate(PostgresSettings settings) {
        return Flyway.configure()
                .dataSource(settings.jdbcUrl(), settings.username(), settings.password())
                .locations("classpath:db/migration")
                // Each module numbers its own migrations (ledger-core 1.., projections 100.., gateway-api 200..),
                // so a new one of a module can sort below one another module applied earlier.
                .outOfOrder(true)
                .load()
                .migrate();
    }
}
