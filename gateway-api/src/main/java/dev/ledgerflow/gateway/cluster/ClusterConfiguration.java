package dev.ledgerflow.gateway.cluster;

import dev.ledgerflow.core.cluster.ClusterSettings;
import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.cluster.LeaseStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import io.r2dbc.pool.ConnectionPool;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * This instance's membership of the cluster: the lease coordinator that the partitioned consumers
 * (payment processor, webhook dispatcher) and the single-active ones (projections, Kafka relay) run
 * under. It heartbeats only once something joined, that is only with {@code ledger.consumers.enabled}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ClusterProperties.class)
class ClusterConfiguration {

    /**
     * The leases' own PostgreSQL sessions: a heartbeat must never queue behind the API's appends for a
     * pooled connection, or a busy instance would lose its leases (seen in the benchmark with two
     * instances on two cores, on the shared pool). Heartbeats, claims, releases and the fenced
     * checkpoint saves of every lease group: a handful of statements a second.
     */
    record ClusterPostgres(ConnectionPool pool) implements AutoCloseable {
        @Override
        public void close() {
            pool.dispose();
        }
    }

    @Bean(destroyMethod = "close")
    ClusterPostgres clusterPostgres(PostgresSettings settings) {
        return new ClusterPostgres(PostgresConnections.pooled(settings, "ledgerflow-cluster", 4));
    }

    @Bean
    LeaseStore leaseStore(ClusterPostgres postgres) {
        return new LeaseStore(postgres.pool());
    }

    @Bean(destroyMethod = "close")
    LeaseCoordinator leaseCoordinator(LeaseStore store, ClusterProperties properties) {
        ClusterSettings defaults = ClusterSettings.defaults();
        ClusterSettings settings = defaults.withPartitions(properties.partitions())
                .withLeases(properties.leaseTtl(), properties.heartbeatInterval());
        if (properties.instanceId() != null && !properties.instanceId().isBlank()) {
            settings = settings.withInstanceId(properties.instanceId().strip());
        }
        return new LeaseCoordinator(store, settings);
    }
}
