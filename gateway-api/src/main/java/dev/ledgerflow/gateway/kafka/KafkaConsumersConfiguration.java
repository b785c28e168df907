package dev.ledgerflow.gateway.kafka;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionExpiry;
import dev.ledgerflow.core.payment.processor.PaymentProcessor;
import dev.ledgerflow.delivery.kafka.KafkaFeed;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookDispatcher;
import dev.ledgerflow.delivery.webhook.WebhookQueue;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.webhook.WebhookProperties;
import java.time.Duration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * With {@code ledger.consumers.source=kafka} ({@code LEDGER_CONSUMERS_SOURCE}): the payment processor and the
 * webhook dispatcher read the relay's topic as members of Kafka consumer groups ({@link KafkaFeed}), one group
 * per consumer name, instead of the PostgreSQL feed under the cluster's leases. Kafka then decides which
 * instance handles which partition and moves a dead instance's partitions to the others.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(KafkaConsumersConfiguration.KafkaSource.class)
@EnableConfigurationProperties(KafkaRelayProperties.class)
class KafkaConsumersConfiguration {

    /** How long the dispatcher's one run of records may take (as on the PostgreSQL feed). */
    private static final Duration DISPATCH_TIMEOUT = Duration.ofSeconds(30);

    @Bean(initMethod = "start", destroyMethod = "close")
    KafkaFeed paymentProcessorKafkaFeed(PaymentProcessor processor, LedgerTransactionExpiry expiry,
            LedgerflowProperties properties, KafkaRelayProperties relay, ConsumersProperties consumers,
            LeaseCoordinator coordinator) {
        return KafkaFeed.perEvent(PaymentProcessor.CONSUMER_NAME,
                settings(properties, relay, consumers, coordinator, processor.handlerTimeout()),
                processor.alongside(expiry), processor.concurrency());
    }

    @Bean(destroyMethod = "close")
    KafkaFeed webhookDispatcherKafkaFeed(WebhookDeliveries deliveries, WebhookQueue queue, LedgerflowProperties properties,
            KafkaRelayProperties relay, ConsumersProperties consumers, WebhookProperties webhooks,
            LeaseCoordinator coordinator) {
        KafkaFeed feed = KafkaFeed.batched(WebhookDispatcher.CONSUMER_NAME,
                settings(properties, relay, consumers, coordinator, DISPATCH_TIMEOUT), new WebhookDispatcher(deliveries, queue));
        return webhooks.enabled() ? feed.start() : feed;
    }

    private static KafkaFeed.Settings settings(LedgerflowProperties properties, KafkaRelayProperties relay,
            ConsumersProperties consumers, LeaseCoordinator coordinator, Duration handlerTimeout) {
        String bootstrap = properties.kafkaBootstrap();
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalStateException(
                    "ledger.consumers.source=kafka (LEDGER_CONSUMERS_SOURCE) needs ledger.kafka-bootstrap (LEDGER_KAFKA_BOOTSTRAP)");
        }
        return new KafkaFeed.Settings(bootstrap.strip(), relay.topic(), coordinator.settings().instanceId(),
                consumers.kafkaSessionTimeout(), handlerTimeout);
    }

    /** True with {@code ledger.consumers.source=kafka}, unless the background consumers are off. */
    static final class KafkaSource implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            var environment = context.getEnvironment();
            return "kafka".equalsIgnoreCase(environment.getProperty("ledger.consumers.source", "postgres").strip())
                    && environment.getProperty("ledger.consumers.enabled", Boolean.class, true);
        }
    }
}
