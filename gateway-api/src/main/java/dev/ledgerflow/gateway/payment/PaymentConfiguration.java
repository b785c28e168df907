package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionExpiry;
import dev.ledgerflow.core.payment.processor.Acquirer;
import dev.ledgerflow.core.payment.processor.DisputeSimulation;
import dev.ledgerflow.core.payment.processor.PaymentProcessor;
import dev.ledgerflow.core.payment.processor.ProcessorMetrics;
import dev.ledgerflow.core.payment.processor.ProcessorSettings;
import dev.ledgerflow.core.payment.processor.SimulatedAcquirer;
import dev.ledgerflow.core.payment.processor.PostgresAcquirerLedger;
import dev.ledgerflow.gateway.cluster.PartitionedConsumer;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The payment processor: the simulated acquirer, and the feed consumer that drives payments to an outcome. */
@Configuration(proxyBeanMethods = false)
class PaymentConfiguration {

    /**
     * The simulated acquirer, its ledger of answers in PostgreSQL (standing in for the acquirer's own
     * database) so that it charges once per request key across restarts and instances.
     */
    @Bean
    SimulatedAcquirer acquirer(LedgerflowProperties properties, ConnectionPool pool, MeterRegistry meters) {
        SimulatedAcquirer acquirer = new SimulatedAcquirer(properties.acquirerLatency(), new PostgresAcquirerLedger(pool),
                properties.acquirerRefundLateDelay());
        FunctionCounter.builder("ledger.acquirer.charges", acquirer, SimulatedAcquirer::charges)
                .description("Payments the acquirer charged (approvals it recorded first; a replay is not a charge)")
                .register(meters);
        FunctionCounter.builder("ledger.acquirer.voids", acquirer, SimulatedAcquirer::voids)
                .description("Approvals voided because the processor gave up on them (attempts timed out): charged nothing")
                .register(meters);
        FunctionCounter.builder("ledger.acquirer.calls", acquirer, SimulatedAcquirer::calls)
                .description("Authorization requests the acquirer received, retries and replays included")
                .register(meters);
        return acquirer;
    }

    @Bean
    PaymentProcessor paymentProcessor(CommandExecutor executor, Acquirer acquirer, LedgerflowProperties properties, Clock clock,
            MeterRegistry meters) {
        ProcessorSettings defaults = ProcessorSettings.defaults();
        ProcessorSettings settings = new ProcessorSettings(properties.acquirerLatency(), properties.acquirerTimeout(),
                properties.acquirerAttempts(), defaults.retryDelayFirst(), defaults.retryDelayMax(), defaults.retryJitter(),
                defaults.concurrency());
        return new PaymentProcessor(executor, acquirer, settings, clock, new ProcessorMetrics(meters));
    }

    /**
     * Pending ledger transactions' timeouts: timers rebuilt from their table at start-up. With several
     * instances every one sets the timers; the first expiry appended wins, the others are already done.
     */
    @Bean(destroyMethod = "dispose")
    LedgerTransactionExpiry ledgerTransactionExpiry(ConnectionPool pool, CommandExecutor executor, Clock clock,
            ConsumersProperties consumers) {
        LedgerTransactionExpiry expiry = new LedgerTransactionExpiry(pool, executor, clock);
        if (consumers.enabled()) {
            expiry.start().block(java.time.Duration.ofSeconds(60));
        }
        return expiry;
    }

    /**
     * The simulated acquirer's disputes: timers rebuilt from their table at start-up, on every instance
     * like the expiries (a second dispute or outcome is already done).
     */
    @Bean(destroyMethod = "dispose")
    DisputeSimulation disputeSimulation(ConnectionPool pool, CommandExecutor executor, Acquirer acquirer,
            LedgerflowProperties properties, Clock clock, ConsumersProperties consumers) {
        DisputeSimulation disputes = new DisputeSimulation(pool, executor, acquirer, properties.acquirerDisputeDelay(),
                properties.acquirerDisputeResolveDelay(), clock);
        if (consumers.enabled()) {
            disputes.start().block(java.time.Duration.ofSeconds(60));
        }
        return disputes;
    }

    /** Not started here: it runs over the partitions this instance owns (see {@link #paymentProcessorPartitions}). */
    @Bean(destroyMethod = "close")
    FeedConsumer paymentProcessorConsumer(PaymentProcessor processor, LedgerTransactionExpiry expiry,
            DisputeSimulation disputes, EventStore store, CheckpointStore checkpoints) {
        return processor.consumer(store, checkpoints, event -> expiry.handle(event).then(disputes.handle(event)));
    }

    /**
     * The processor's share of the log's partitions: with N instances, each payment is processed by one of them.
     * Holds none with {@code ledger.consumers.source=kafka} (see {@link KafkaConsumersConfiguration}).
     */
    @Bean(destroyMethod = "close")
    PartitionedConsumer paymentProcessorPartitions(FeedConsumer paymentProcessorConsumer,
            LeaseCoordinator coordinator, ConsumersProperties consumers) {
        return PartitionedConsumer.join(paymentProcessorConsumer, coordinator, consumers.onPostgresFeed());
    }
}
