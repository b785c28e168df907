package dev.ledgerflow.gateway.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Ledgerflow's own settings, bound from {@code ledger.*} properties or the matching environment
 * variables ({@code LEDGER_POSTGRES_URL}, {@code LEDGER_REDIS_URL}, {@code LEDGER_ADMIN_KEY}, …).
 *
 * @param postgresUrl the PostgreSQL server, e.g. {@code postgresql://ledger:secret@db:5432/ledger}
 * @param redisUrl the Redis server, e.g. {@code redis://redis:6379}
 * @param kafkaBootstrap Kafka bootstrap servers; the relay is off when empty
 * @param adminKey the admin API key; generated and printed at start-up when empty
 * @param postgresPoolSize connections in the R2DBC pool
 * @param appendBatchSizeMax most commands written in one group-commit transaction
 * @param appendBatchesInFlightMax group-commit transactions running at once
 * @param idempotencyTtl how long an idempotency key is remembered
 */
@ConfigurationProperties("ledger")
public record LedgerflowProperties(
        String postgresUrl,
        String redisUrl,
        String kafkaBootstrap,
        String adminKey,
        @DefaultValue("20") int postgresPoolSize,
        @DefaultValue("500") int appendBatchSizeMax,
        @DefaultValue("1") int appendBatchesInFlightMax,
        @DefaultValue("24h") Duration idempotencyTtl) {}
