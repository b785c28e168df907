package dev.ledgerflow.gateway.projection;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.projections.ReadModels;
import dev.ledgerflow.projections.entry.AccountEntryQueries;
import dev.ledgerflow.projections.event.MerchantEvents;
import dev.ledgerflow.projections.invariant.InvariantCheck;
import dev.ledgerflow.projections.projector.Projections;
import dev.ledgerflow.projections.projector.ProjectorSettings;
import dev.ledgerflow.projections.transaction.TransactionQueries;
import dev.ledgerflow.projections.volume.VolumeQueries;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The read side: projectors of every read model, and the queries over them. */
@Configuration(proxyBeanMethods = false)
class ProjectionConfiguration {

    @Bean(destroyMethod = "close")
    Projections projections(ConnectionPool pool, PostgresEventStore store, LedgerflowProperties properties, Clock clock,
            ConsumersProperties consumers, LeaseCoordinator coordinator) {
        ProjectorSettings settings = ProjectorSettings.defaults()
                .withPageSizes(properties.projectionPageSize(), properties.projectionRebuildPageSize())
                .withRetiredDropDelay(properties.projectionRetiredDropDelay());
        Projections projections = new Projections(pool, store.tail(), ReadModels.all(), settings,
                dev.ledgerflow.projections.projector.PageHook.NONE, clock);
        // Start-up, before any request: creates the first generations and, unless the consumers are off
        // (ledger.consumers.enabled=false: the views answer, and show nothing new), joins the projections'
        // lease groups: each projector runs on the one instance that holds its lease.
        (consumers.enabled() ? projections.startUnder(coordinator) : projections.createFirstGenerations())
                .block(Duration.ofMinutes(2));
        return projections;
    }

    @Bean
    TransactionQueries transactionQueries(ConnectionPool pool, Projections projections) {
        return new TransactionQueries(pool, projections.catalog());
    }

    @Bean
    VolumeQueries volumeQueries(ConnectionPool pool, Projections projections) {
        return new VolumeQueries(pool, projections.catalog());
    }

    @Bean
    AccountEntryQueries accountEntryQueries(ConnectionPool pool, Projections projections) {
        return new AccountEntryQueries(pool, projections.catalog());
    }

    @Bean
    MerchantEvents merchantEvents(ConnectionPool pool) {
        return new MerchantEvents(pool);
    }

    @Bean
    InvariantCheck invariantCheck(ConnectionPool pool, Projections projections, Clock clock) {
        return new InvariantCheck(pool, projections.catalog(), clock);
    }
}
