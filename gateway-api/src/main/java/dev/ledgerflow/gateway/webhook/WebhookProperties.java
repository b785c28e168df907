package dev.ledgerflow.gateway.webhook;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Webhook delivery settings, bound from {@code ledger.webhooks.*} or the matching environment
 * variables ({@code LEDGER_WEBHOOKS_RETRY_SCHEDULE}, {@code LEDGER_WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS}, …).
 *
 * @param enabled run the dispatcher, the workers and the scheduler in this instance
 * @param retrySchedule the wait before each attempt (the first is the initial one); its length is the attempt count
 * @param retryJitter each wait varies at random by up to this fraction
 * @param retryAfterMax the longest wait a receiver's {@code Retry-After} may ask for
 * @param requestTimeout one POST may take this long
 * @param visibilityTimeout after this, a crashed worker's delivery is reclaimed by another
 * @param requeueAfter a due delivery enqueued longer ago than this is enqueued again
 * @param secretOverlap how long the previous secret keeps signing after a rotation
 * @param concurrency attempts in flight at once per instance
 * @param pollInterval how often due retries are moved onto the stream
 * @param allowPrivateDestinations allow endpoints on private, loopback and link-local addresses
 *     (development and tests only: off, the service refuses them to guard against SSRF)
 * @param streamKey the Redis stream; by default {@code ledgerflow:<database>:webhooks}
 * @param postgresPoolSize PostgreSQL sessions of the webhook machinery's own pool (kept apart from the API's)
 */
@ConfigurationProperties("ledger.webhooks")
public record WebhookProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("0s,5s,5m,30m,2h,5h,10h,10h") List<Duration> retrySchedule,
        @DefaultValue("0.1") double retryJitter,
        @DefaultValue("24h") Duration retryAfterMax,
        @DefaultValue("15s") Duration requestTimeout,
        @DefaultValue("60s") Duration visibilityTimeout,
        @DefaultValue("5m") Duration requeueAfter,
        @DefaultValue("24h") Duration secretOverlap,
        @DefaultValue("32") int concurrency,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("false") boolean allowPrivateDestinations,
        String streamKey,
        @DefaultValue("8") int postgresPoolSize) {}
