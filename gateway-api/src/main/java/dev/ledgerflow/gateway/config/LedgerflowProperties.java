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
 * @param postgresStartupWait how long start-up waits for PostgreSQL to accept connections; 0 fails at once
 * @param appendBatchSizeMax most commands written in one group-commit transaction
 * @param appendBatchesInFlightMax group-commit transactions running at once
 * @param appendQueueMax appends waiting for a group commit; past it writes answer 503 {@code overloaded} at once
 * @param writesInFlightMax write requests worked on at once; one more answers 503 {@code overloaded} at once
 * @param idempotencyTtl how long an idempotency key is remembered
 * @param cardFingerprintKey the secret of card fingerprints (HMAC); keep it stable, or fingerprints change
 * @param acquirerLatency the simulated acquirer's answer time
 * @param acquirerTimeout how long one acquirer call may take before it counts as a timeout
 * @param acquirerAttempts acquirer calls per payment before it fails
 * @param acquirerRefundLateDelay how late the simulated acquirer answers the late refund's test card
 * @param acquirerDisputeDelay how long after a payment's creation the simulated acquirer disputes it (dispute test cards, once captured)
 * @param acquirerDisputeResolveDelay how long a simulated dispute stays open before it is won or lost
 * @param projectionPageSize most events a projector applies in one transaction while following the feed
 * @param projectionRebuildPageSize most events a projector applies in one transaction while rebuilding
 * @param projectionRetiredDropDelay how long the tables of a replaced projection generation are kept
 * @param minPositionWaitMax how long a read with {@code Ledger-Min-Position} waits for the projections
 * @param sseHeartbeat how often an idle SSE stream sends a comment line
 * @param sseSubscriberBufferMax events buffered for one SSE subscriber; one that falls further behind is disconnected
 * @param streamTokenKey the secret that signs stream tokens (for browsers' EventSource); generated when empty,
 *     which makes tokens valid on this instance and until its restart only
 * @param streamTokenTtl how long a stream token may be used to open a stream
 * @param cachedStreamsMax streams whose latest state the command executor remembers (least recently used
 *     forgotten first); 0 folds every stream from the store each time
 */
@ConfigurationProperties("ledger")
public record LedgerflowProperties(
        String postgresUrl,
        String redisUrl,
        String kafkaBootstrap,
        String adminKey,
        @DefaultValue("20") int postgresPoolSize,
        @DefaultValue("30s") Duration postgresStartupWait,
        @DefaultValue("500") int appendBatchSizeMax,
        @DefaultValue("1") int appendBatchesInFlightMax,
        @DefaultValue("5000") int appendQueueMax,
        @DefaultValue("256") int writesInFlightMax,
        @DefaultValue("24h") Duration idempotencyTtl,
        String cardFingerprintKey,
        @DefaultValue("20ms") Duration acquirerLatency,
        @DefaultValue("2s") Duration acquirerTimeout,
        @DefaultValue("4") int acquirerAttempts,
        @DefaultValue("1s") Duration acquirerRefundLateDelay,
        @DefaultValue("5s") Duration acquirerDisputeDelay,
        @DefaultValue("5s") Duration acquirerDisputeResolveDelay,
        @DefaultValue("1000") int projectionPageSize,
        @DefaultValue("10000") int projectionRebuildPageSize,
        @DefaultValue("1m") Duration projectionRetiredDropDelay,
        @DefaultValue("5s") Duration minPositionWaitMax,
        @DefaultValue("15s") Duration sseHeartbeat,
        @DefaultValue("1024") int sseSubscriberBufferMax,
        String streamTokenKey,
        @DefaultValue("15m") Duration streamTokenTtl,
        @DefaultValue("10000") int cachedStreamsMax) {}
