package dev.ledgerflow.gateway.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The background readers of the feed, bound from {@code ledger.consumers.*} ({@code LEDGER_CONSUMERS_ENABLED}).
 *
 * @param enabled run this instance's background consumers: the payment processor, the projections' live
 *     runners (and the tail of the log they follow), the webhook dispatcher, worker and scheduler, the SSE hub
 *     and the Kafka relay. Off, the API still accepts and answers requests but nothing moves on from what a
 *     request wrote: payments stay {@code processing}, views and webhooks stay behind, SSE streams do not work.
 *     For measuring the cost of accepting requests alone (the benchmark's {@code --create-only}).
 * @param source where the payment processor and the webhook dispatcher read the log ({@code
 *     LEDGER_CONSUMERS_SOURCE}): {@code postgres}, the PostgreSQL feed under the cluster's leases (the default), or
 *     {@code kafka}, the relay's topic as Kafka consumer groups (needs {@code LEDGER_KAFKA_BOOTSTRAP}). Projections,
 *     the relay and the SSE hub always read the PostgreSQL feed.
 * @param kafkaSessionTimeout with {@code source=kafka}: how long the group waits for a silent (crashed) instance before
 *     its partitions move to the others ({@code LEDGER_CONSUMERS_KAFKA_SESSION_TIMEOUT})
 */
@ConfigurationProperties("ledger.consumers")
public record ConsumersProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("postgres") Source source,
        @DefaultValue("10s") Duration kafkaSessionTimeout) {

    /** Where the partitioned consumers read the log. */
    public enum Source { POSTGRES, KAFKA }

    /** Whether the payment processor and the webhook dispatcher run here on the PostgreSQL feed. */
    public boolean onPostgresFeed() {
        return enabled && source == Source.POSTGRES;
    }
}
