package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
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

    /** The pool, with its usage as gauges under Spring Boot's names ({@code r2dbc.pool.*}, tag {@code name}). */
    @Bean(destroyMethod = "dispose")
    ConnectionPool connectionPool(PostgresSettings settings, LedgerflowProperties properties, MeterRegistry meters) {
        ConnectionPool pool = PostgresConnections.pooled(settings, "ledgerflow", properties.postgresPoolSize());
        pool.getMetrics().ifPresent(metrics -> {
            // Strong references: nothing else holds this PoolMetrics, and a weakly held one reads NaN once collected.
            Tags tags = Tags.of("name", "ledgerflow");
            Gauge.builder("r2dbc.pool.acquired", metrics, PoolMetrics::acquiredSize).tags(tags).strongReference(true)
                    .description("Connections lent out right now").register(meters);
            Gauge.builder("r2dbc.pool.allocated", metrics, PoolMetrics::allocatedSize).tags(tags).strongReference(true)
                    .description("Connections open, lent out or idle").register(meters);
            Gauge.builder("r2dbc.pool.idle", metrics, PoolMetrics::idleSize).tags(tags).strongReference(true)
                    .description("Connections idle in the pool").register(meters);
            Gauge.builder("r2dbc.pool.pending", metrics, PoolMetrics::pendingAcquireSize).tags(tags).strongReference(true)
                    .description("Callers waiting for a connection").register(meters);
            Gauge.builder("r2dbc.pool.max.allocated", metrics, PoolMetrics::getMaxAllocatedSize).tags(tags).strongReference(true)
                    .description("The most connections the pool opens").register(meters);
        });
        return pool;
    }

    @Bean(destroyMethod = "close")
    PostgresEventStore eventStore(ConnectionPool pool, PostgresSettings settings, LedgerflowProperties properties,
            MeterRegistry meters) {
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
                        defaults.heldBackPoll()),
                meters);
    }
}
