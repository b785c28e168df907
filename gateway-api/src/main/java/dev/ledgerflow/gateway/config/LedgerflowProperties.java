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
 * @param cardFingerprintKey the secret of card fingerprints (HMAC); keep it stable, or fingerprints change
 * @param acquirerLatency the simulated acquirer's answer time
 * @param acquirerTimeout how long one acquirer call may take before it counts as a timeout
 * @param acquirerAttempts acquirer calls per payment before it fails
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
        @DefaultValue("24h") Duration idempotencyTtl,
        String cardFingerprintKey,
        @DefaultValue("20ms") Duration acquirerLatency,
        @DefaultValue("2s") Duration acquirerTimeout,
        @DefaultValue("4") int acquirerAttempts) {}
