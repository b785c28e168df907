package dev.ledgerflow.gateway.config;

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
 */
@ConfigurationProperties("ledger.consumers")
public record ConsumersProperties(@DefaultValue("true") boolean enabled) {}
