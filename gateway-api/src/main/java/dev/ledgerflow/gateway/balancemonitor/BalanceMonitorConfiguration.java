package dev.ledgerflow.gateway.balancemonitor;

import dev.ledgerflow.core.balancemonitor.BalanceMonitorEvaluator;
import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.gateway.cluster.PartitionedConsumer;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import dev.ledgerflow.projections.balancemonitor.BalanceMonitorQueries;
import dev.ledgerflow.projections.projector.Projections;
import io.r2dbc.pool.ConnectionPool;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Balance monitors: the evaluator that fires them, and the projection's queries that list them.
 *
 * <p>The evaluator folds balances in feed order across all streams, so it is single-active: a lease group
 * ({@code balance-monitors}) of one partition, on the PostgreSQL feed whatever {@code ledger.consumers.source}
 * says (a Kafka topic keeps order per stream only).
 */
@Configuration(proxyBeanMethods = false)
class BalanceMonitorConfiguration {

    @Bean
    BalanceMonitorEvaluator balanceMonitorEvaluator(ConnectionPool pool, CommandExecutor executor) {
        return new BalanceMonitorEvaluator(pool, executor);
    }

    /** Not started here: it runs where it holds the lease (see {@link #balanceMonitorLease}). */
    @Bean(destroyMethod = "close")
    FeedConsumer balanceMonitorConsumer(BalanceMonitorEvaluator evaluator, EventStore store, CheckpointStore checkpoints) {
        return evaluator.consumer(store, checkpoints, FeedConsumer.Settings.defaults());
    }

    @Bean(destroyMethod = "close")
    PartitionedConsumer balanceMonitorLease(FeedConsumer balanceMonitorConsumer,
            LeaseCoordinator coordinator, ConsumersProperties consumers) {
        return PartitionedConsumer.singleActive(balanceMonitorConsumer, coordinator, consumers.enabled());
    }

    @Bean
    BalanceMonitorQueries balanceMonitorQueries(ConnectionPool pool, Projections projections) {
        return new BalanceMonitorQueries(pool, projections.catalog());
    }
}
