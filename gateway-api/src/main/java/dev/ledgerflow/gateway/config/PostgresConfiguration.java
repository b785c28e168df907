package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import io.r2dbc.pool.ConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The PostgreSQL event store: settings, schema migrations, connection pool, the store itself. */
@Configuration(proxyBeanMethods = false)
class PostgresConfiguration {

    private static final Logger log = LoggerFactory.getLogger(PostgresConfiguration.class);

    @Bean
    PostgresSettings postgresSettings(LedgerflowProperties properties) {
        if (properties.postgresUrl() == null || properties.postgresUrl().isBlank()) {
            throw new IllegalStateException("LEDGER_POSTGRES_URL is not set. Set it to postgresql://user:password@host:5432/db,"
                    + " or start the embedded default with ./mvnw -pl gateway-api -am spring-boot:test-run (see README.md).");
        }
        PostgresSettings settings = PostgresSettings.parse(properties.postgresUrl());
        PostgresStartup.awaitReachable(settings, properties.postgresStartupWait());
        var result = SchemaMigrations.migrate(settings);
        log.info("PostgreSQL {}: schema at version {} ({} migrations applied now)",
                settings, result.targetSchemaVersion, result.migrationsExecuted);
        return settings;
    }

    @Bean(destroyMethod = "dispose")
    ConnectionPool connectionPool(PostgresSettings settings, LedgerflowProperties properties) {
        return PostgresConnections.pooled(settings, "ledgerflow", properties.postgresPoolSize());
    }

    @Bean(destroyMethod = "close")
    PostgresEventStore eventStore(ConnectionPool pool, PostgresSettings settings, LedgerflowProperties properties) {
        var defaults = PostgresEventStore.Settings.defaults();
        return new PostgresEventStore(
                pool,
                PostgresConnections.direct(settings, "ledgerflow-listen"),
                new PostgresEventStore.Settings(
                        properties.appendBatchSizeMax(),
                        properties.appendBatchesInFlightMax(),
                        properties.appendQueueMax(),
                        defaults.pageSize(),
                        defaults.windowMax(),
                        defaults.idlePoll(),
                        defaults.heldBackPoll()));
    }
}
