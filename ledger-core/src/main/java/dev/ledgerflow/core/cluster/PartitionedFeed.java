package dev.ledgerflow.core.cluster;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.feed.FeedScope;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Runs a {@link FeedConsumer} over the partitions of the log this instance owns in a lease group:
 * the events of streams that hash into them ({@link Partitions}), each partition resuming after its
 * own checkpoint. The consumer still reads the whole feed from this instance's one tail of the log, in
 * order, and moves on over the events of other partitions without handling them; so every owned
 * partition is done up to the same place, and one statement saves them all, fenced by their epochs.
 *
 * <p>When the owned partitions change the consumer stops (saving what finished, for the partitions it
 * still holds), and starts again from the lowest checkpoint of the new set; events a partition's
 * checkpoint already covers are not handled again. With no partition, it does not run at all.
 */
public final class PartitionedFeed implements LeaseCoordinator.Member {

    private static final Logger log = LoggerFactory.getLogger(PartitionedFeed.class);

    private final FeedConsumer consumer;
    private final LeaseStore store;
    private final String instanceId;
    private volatile LeaseCoordinator.Membership membership;

    private PartitionedFeed(FeedConsumer consumer, LeaseCoordinator coordinator) {
        this.consumer = consumer;
        this.store = coordinator.store();
        this.instanceId = coordinator.instanceId();
    }

    /**
     * Joins {@code consumer} (not started) to the lease group of its name with {@code partitions}
     * partitions: from the next heartbeat on it runs over its fair share. Close the membership to leave.
     */
    public static Mono<LeaseCoordinator.Membership> join(FeedConsumer consumer, int partitions, LeaseCoordinator coordinator) {
        PartitionedFeed feed = new PartitionedFeed(consumer, coordinator);
        return coordinator.join(consumer.name(), partitions, feed).doOnNext(joined -> feed.membership = joined);
    }

    @Override
    public Mono<Void> assign(Assignment assignment) {
        return consumer.rescope(new PartitionScope(assignment), !assignment.isEmpty());
    }

    /** The events of the owned partitions, each after its own checkpoint; saves fenced by epoch. */
    private final class PartitionScope implements FeedScope {
        private final Assignment assignment;
        private final Set<Integer> lost = java.util.concurrent.ConcurrentHashMap.newKeySet();

        PartitionScope(Assignment assignment) {
            this.assignment = assignment;
        }

        @Override
        public Mono<LogPosition> load() {
            return Mono.just(assignment.resumeAfter());
        }

        @Override
        public boolean handles(RecordedEvent event) {
            int partition = Partitions.of(event.streamId(), assignment.partitions());
            Lease lease = assignment.leases().get(partition);
            return lease != null && !lost.contains(partition) && event.logPosition().isAfter(lease.checkpoint());
        }

        @Override
        public Mono<Void> save(LogPosition position) {
            if (assignment.isEmpty()) {
                return Mono.empty();
            }
            return store.save(assignment, instanceId, position).flatMap(saved -> {
                if (saved.size() == assignment.leases().size()) {
                    return Mono.empty();
                }
                Set<Integer> taken = new TreeSet<>(assignment.leases().keySet());
                taken.removeAll(saved);
                lost.addAll(taken);
                log.warn("{}: partitions {} were taken over by another instance; not handling them any more", consumer.name(),
                        taken);
                LeaseCoordinator.Membership current = membership;
                if (current != null) {
                    current.poke();
                }
                return Mono.empty();
            });
        }
    }
}
