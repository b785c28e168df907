package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.gateway.auth.StreamTokens;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.projections.event.MerchantEvents;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Server-Sent Events: the hub on the live feed, the streams built on it, and stream tokens for browsers. */
@Configuration(proxyBeanMethods = false)
class StreamConfiguration {

    private static final Logger log = LoggerFactory.getLogger(StreamConfiguration.class);

    @Bean(destroyMethod = "close")
    EventHub eventHub(EventStore store, MerchantEvents merchantEvents, MeterRegistry meters, ConsumersProperties consumers) {
        EventHub hub = new EventHub(store, merchantEvents);
        if (consumers.enabled()) {
            hub.start();
        }
        Gauge.builder("ledger.sse.subscribers", hub, EventHub::subscribers)
                .description("Live SSE subscriptions on this instance").register(meters);
        Gauge.builder("ledger.sse.disconnected.slow", hub, EventHub::disconnectedSlow)
                .description("SSE subscribers cut off because they could not keep up").register(meters);
        return hub;
    }

    @Bean
    EventStreams eventStreams(EventHub hub, EventStore store, MerchantEvents merchantEvents, CommandExecutor executor,
            Clock clock, LedgerflowProperties properties) {
        return new EventStreams(hub, store, merchantEvents, executor, clock, properties.sseSubscriberBufferMax());
    }

    @Bean
    StreamTokens streamTokens(LedgerflowProperties properties, Clock clock) {
        byte[] key;
        if (properties.streamTokenKey() != null && !properties.streamTokenKey().isBlank()) {
            key = properties.streamTokenKey().getBytes(StandardCharsets.UTF_8);
        } else {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
            log.warn("LEDGER_STREAM_TOKEN_KEY is not set; stream tokens are valid on this instance until it restarts");
        }
        return new StreamTokens(key, properties.streamTokenTtl(), clock);
    }
}
