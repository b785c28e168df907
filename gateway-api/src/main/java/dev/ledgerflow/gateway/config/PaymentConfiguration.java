package dev.ledgerflow.gateway.config;

import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionExpiry;
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

    /** Pending ledger transactions' timeouts: timers rebuilt from their table at start-up. */
    @Bean(destroyMethod = "dispose")
    LedgerTransactionExpiry ledgerTransactionExpiry(ConnectionPool pool, CommandExecutor executor, Clock clock,
            ConsumersProperties consumers) {
        LedgerTransactionExpiry expiry = new LedgerTransactionExpiry(pool, executor, clock);
        if (consumers.enabled()) {
            expiry.start().block(java.time.Duration.ofSeconds(60));
        }
        return expiry;
    }

    @Bean(destroyMethod = "dispose")
    FeedConsumer paymentProcessorConsumer(PaymentProcessor processor, LedgerTransactionExpiry expiry, EventStore store,
            CheckpointStore checkpoints, ConsumersProperties consumers) {
        FeedConsumer consumer = processor.consumer(store, checkpoints, expiry);
        return consumers.enabled() ? consumer.start() : consumer;
    }
}
