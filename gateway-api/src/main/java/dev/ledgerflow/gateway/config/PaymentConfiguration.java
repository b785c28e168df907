package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.payment.processor.Acquirer;
import dev.ledgerflow.core.payment.processor.PaymentProcessor;
import dev.ledgerflow.core.payment.processor.ProcessorSettings;
import dev.ledgerflow.core.payment.processor.SimulatedAcquirer;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The payment processor: the simulated acquirer, and the feed consumer that drives payments to an outcome. */
@Configuration(proxyBeanMethods = false)
class PaymentConfiguration {

    @Bean
    Acquirer acquirer(LedgerflowProperties properties) {
        return new SimulatedAcquirer(properties.acquirerLatency());
    }

    @Bean
    CheckpointStore checkpointStore(ConnectionPool pool) {
        return new CheckpointStore(pool);
    }

    @Bean
    PaymentProcessor paymentProcessor(CommandExecutor executor, Acquirer acquirer, LedgerflowProperties properties, Clock clock) {
        ProcessorSettings defaults = ProcessorSettings.defaults();
        ProcessorSettings settings = new ProcessorSettings(properties.acquirerLatency(), properties.acquirerTimeout(),
                properties.acquirerAttempts(), defaults.retryDelayFirst(), defaults.retryDelayMax(), defaults.retryJitter(),
                defaults.concurrency());
        return new PaymentProcessor(executor, acquirer, settings, clock);
    }

    /** Not started here: it runs over the partitions this instance owns (see {@link #paymentProcessorPartitions}). */
    @Bean(destroyMethod = "dispose")
    FeedConsumer paymentProcessorConsumer(PaymentProcessor processor, EventStore store, CheckpointStore checkpoints) {
        return processor.consumer(store, checkpoints);
    }

    /** The processor's share of the log's partitions: with N instances, each payment is processed by one of them. */
    @Bean(destroyMethod = "close")
    ClusterConfiguration.PartitionedConsumer paymentProcessorPartitions(FeedConsumer paymentProcessorConsumer,
            LeaseCoordinator coordinator, ConsumersProperties consumers) {
        return ClusterConfiguration.PartitionedConsumer.join(paymentProcessorConsumer, coordinator, consumers.enabled());
    }
}
