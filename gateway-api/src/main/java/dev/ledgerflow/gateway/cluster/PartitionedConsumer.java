package dev.ledgerflow.gateway.cluster;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.cluster.PartitionedFeed;
import dev.ledgerflow.core.feed.FeedConsumer;
import java.time.Duration;

/**
 * A feed consumer's share of the partitions, held while the bean lives: closing it (on shutdown,
 * before the consumer and the coordinator) stops the consumer, saves its place and gives the
 * partitions back at once. Holds nothing when the consumer does not run here.
 */
public record PartitionedConsumer(String name, LeaseCoordinator.Membership membership) implements AutoCloseable {

    public static PartitionedConsumer join(FeedConsumer consumer, LeaseCoordinator coordinator, boolean enabled) {
        if (!enabled) {
            return new PartitionedConsumer(consumer.name(), null);
        }
        return new PartitionedConsumer(consumer.name(), PartitionedFeed.join(consumer,
                coordinator.settings().partitions(), coordinator).block(Duration.ofMinutes(1)));
    }

    @Override
    public void close() {
        if (membership != null) {
            membership.close();
        }
    }
}
