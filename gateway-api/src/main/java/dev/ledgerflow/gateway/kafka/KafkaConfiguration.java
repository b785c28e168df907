package dev.ledgerflow.gateway.kafka;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.health.KafkaHealthIndicator;
import dev.ledgerflow.delivery.kafka.KafkaRelay;
import dev.ledgerflow.delivery.kafka.RelayLag;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The Kafka relay, its feed consumer and the {@code kafka} health check; all of it only when
 * {@code ledger.kafka-bootstrap} ({@code LEDGER_KAFKA_BOOTSTRAP}) is set to something and
 * {@code ledger.consumers.enabled} is not false.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(KafkaConfiguration.KafkaBootstrapSet.class)
@EnableConfigurationProperties(KafkaRelayProperties.class)
class KafkaConfiguration {

    @Bean(initMethod = "start", destroyMethod = "close")
    KafkaRelay kafkaRelay(LedgerflowProperties properties, KafkaRelayProperties relay, EventStore store,
            CheckpointStore checkpoints, ConnectionPool pool, MeterRegistry meters, Clock clock, LeaseCoordinator coordinator) {
        return new KafkaRelay(relay.toSettings(properties.kafkaBootstrap().strip()), store, checkpoints,
                new RelayLag(pool, clock), meters, coordinator);
    }

    /** The relay's feed consumer, as a bean like every other one, for status and lag reports; the relay starts and stops it. */
    @Bean(destroyMethod = "")
    FeedConsumer kafkaRelayConsumer(KafkaRelay relay) {
        return relay.consumer();
    }

    @Bean("kafka")
    KafkaHealthIndicator kafkaHealthIndicator(KafkaRelay relay) {
        return new KafkaHealthIndicator(relay);
    }

    /**
     * True when {@code ledger.kafka-bootstrap} is set and not blank (an empty variable keeps the relay off),
     * unless the background consumers are off ({@code ledger.consumers.enabled=false}).
     */
    static final class KafkaBootstrapSet implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String bootstrap = context.getEnvironment().getProperty("ledger.kafka-bootstrap");
            return bootstrap != null && !bootstrap.isBlank()
                    && context.getEnvironment().getProperty("ledger.consumers.enabled", Boolean.class, true);
        }
    }
}
