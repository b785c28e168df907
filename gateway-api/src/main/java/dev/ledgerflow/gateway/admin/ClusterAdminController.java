package dev.ledgerflow.gateway.admin;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.cluster.LeaseStore;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.projections.projector.FeedLag;
import dev.ledgerflow.projections.projector.Projections;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Operators' view of the instances sharing the database ({@code GET /admin/cluster}): which are alive,
 * which owns each partition of each lease group (the payment processor's and the webhook dispatcher's
 * partitions, the Kafka relay's and each projection's single lease), how old each lease and its last
 * heartbeat are, and how far each partition's checkpoint is behind the head of the log. With {@code
 * ledger.consumers.source=kafka} the payment processor and the webhook dispatcher hold no leases: their Kafka
 * consumer groups are shown instead ({@link KafkaConsumerGroups}), with offsets and lag per partition of the topic.
 */
@RestController
@Tag(name = "Operations")
class ClusterAdminController {

    private final LeaseCoordinator coordinator;
    private final LeaseStore leases;
    private final Projections projections;
    private final FeedLag lag;
    private final Optional<KafkaConsumerGroups> kafka;

    ClusterAdminController(LeaseCoordinator coordinator, LeaseStore leases, Projections projections,
            Optional<KafkaConsumerGroups> kafka) {
        this.coordinator = coordinator;
        this.leases = leases;
        this.projections = projections;
        this.lag = projections.lag();
        this.kafka = kafka;
    }

    /**
     * One instance alive now.
     *
     * @param heartbeatAgeMs since its last heartbeat; beyond the lease time-to-live it counts as gone
     * @param owns partitions it holds, per lease group
     */
    record InstanceView(String instanceId, String host, boolean self, Instant startedAt, long heartbeatAgeMs,
            List<String> groups, Map<String, Integer> owns) {}

    /**
     * One partition of a lease group.
     *
     * @param owner the instance holding a live lease; null when nobody does (free, or its owner's lease expired)
     * @param expiredOwner the last owner when its lease expired and nobody took it over yet
     * @param epoch acquisitions so far: the fencing token of the current lease
     * @param leaseAgeMs since the owner acquired it
     * @param heartbeatAgeMs since the owner last renewed it
     * @param position the global position of the partition's checkpoint (for a projection: the projection's)
     * @param lagEvents events of the log after the checkpoint
     * @param lagMs age of the oldest of them
     */
    record PartitionView(int partition, String owner, String expiredOwner, long epoch, Long leaseAgeMs,
            Long heartbeatAgeMs, long position, long txid, long lagEvents, long lagMs) {}

    record GroupView(String group, String kind, int partitions, Map<String, Integer> owners, int unowned,
            List<PartitionView> leases) {}

    /**
     * @param consumersSource where the payment processor and the webhook dispatcher read the log: {@code postgres}
     *     (their lease groups are in {@code groups}) or {@code kafka} (their consumer groups are in {@code kafka})
     * @param kafka the Kafka consumer groups, in the {@code kafka} mode only
     */
    record ClusterView(String instanceId, String consumersSource, int partitions, long leaseTtlMs,
            long heartbeatIntervalMs, List<InstanceView> instances, List<GroupView> groups,
            KafkaConsumerGroups.View kafka) {}

    @GetMapping(path = "/admin/cluster", produces = "application/json")
    Mono<ClusterView> cluster(Caller.Admin admin) {
        Duration ttl = coordinator.settings().leaseTtl();
        Mono<Map<String, Projections.ProjectionStatus>> projectionStatus = projections.status()
                .collectMap(Projections.ProjectionStatus::name);
        // In the Kafka mode a lease group of a consumer that runs on Kafka is a leftover of the PostgreSQL mode.
        Set<String> onKafka = kafka.map(KafkaConsumerGroups::groups).orElse(Set.of());
        Mono<Optional<KafkaConsumerGroups.View>> kafkaView = kafka.map(groups -> groups.view().map(Optional::of))
                .orElse(Mono.just(Optional.empty()));
        return Mono.zip(leases.members(ttl).collectList(), leases.leases().collectList(), projectionStatus, kafkaView)
                .flatMap(found -> Flux.fromIterable(found.getT2())
                        .filter(row -> !onKafka.contains(row.group()))
                        .concatMap(row -> partition(row, ttl, found.getT3()).map(view -> Map.entry(row, view)))
                        .collectList()
                        .map(rows -> view(found.getT1(), rows, found.getT4().orElse(null))));
    }

    private Mono<PartitionView> partition(LeaseStore.LeaseRow row, Duration ttl,
            Map<String, Projections.ProjectionStatus> projectionStatus) {
        boolean live = row.owner() != null && row.heartbeatAt() != null && row.heartbeatAt().plus(ttl).isAfter(row.now());
        Long leaseAge = row.acquiredAt() == null || row.owner() == null ? null : ms(row.acquiredAt(), row.now());
        Long heartbeatAge = row.heartbeatAt() == null ? null : ms(row.heartbeatAt(), row.now());
        if (row.group().startsWith(Projections.LEASE_PREFIX)) {
            Projections.ProjectionStatus status = projectionStatus.get(row.group().substring(Projections.LEASE_PREFIX.length()));
            return Mono.just(new PartitionView(row.partition(), live ? row.owner() : null, live ? null : row.owner(),
                    row.epoch(), leaseAge, heartbeatAge, status == null ? 0 : status.checkpoint().position(),
                    status == null ? 0 : status.checkpoint().txid(), status == null ? 0 : status.lag().events(),
                    status == null ? 0 : status.lag().millis()));
        }
        return lag.of(row.checkpoint()).map(l -> new PartitionView(row.partition(), live ? row.owner() : null,
                live ? null : row.owner(), row.epoch(), leaseAge, heartbeatAge, row.checkpoint().position(),
                row.checkpoint().txid(), l.events(), l.millis()));
    }

    private ClusterView view(List<LeaseStore.MemberRow> members,
            List<Map.Entry<LeaseStore.LeaseRow, PartitionView>> rows, KafkaConsumerGroups.View kafkaView) {
        Map<String, GroupView> groups = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> ownsByInstance = new TreeMap<>();
        Map<String, List<PartitionView>> byGroup = new LinkedHashMap<>();
        Map<String, Integer> partitionsByGroup = new LinkedHashMap<>();
        for (var entry : rows) {
            byGroup.computeIfAbsent(entry.getKey().group(), g -> new ArrayList<>()).add(entry.getValue());
            partitionsByGroup.put(entry.getKey().group(), entry.getKey().partitions());
            if (entry.getValue().owner() != null) {
                ownsByInstance.computeIfAbsent(entry.getValue().owner(), o -> new TreeMap<>())
                        .merge(entry.getKey().group(), 1, Integer::sum);
            }
        }
        byGroup.forEach((group, partitions) -> {
            Map<String, Integer> owners = new TreeMap<>();
            int unowned = 0;
            for (PartitionView partition : partitions) {
                if (partition.owner() == null) {
                    unowned++;
                } else {
                    owners.merge(partition.owner(), 1, Integer::sum);
                }
            }
            String kind = group.startsWith(Projections.LEASE_PREFIX) ? "projection"
                    : partitionsByGroup.get(group) == 1 ? "single-active" : "partitioned";
            groups.put(group, new GroupView(group, kind, partitionsByGroup.get(group), owners, unowned, partitions));
        });
        List<InstanceView> instances = members.stream().map(m -> new InstanceView(m.instanceId(), m.host(),
                m.instanceId().equals(coordinator.instanceId()), m.startedAt(), ms(m.heartbeatAt(), m.now()), m.groups(),
                ownsByInstance.getOrDefault(m.instanceId(), Map.of()))).toList();
        return new ClusterView(coordinator.instanceId(), kafkaView == null ? "postgres" : "kafka",
                coordinator.settings().partitions(), coordinator.settings().leaseTtl().toMillis(),
                coordinator.settings().heartbeatInterval().toMillis(), instances, List.copyOf(groups.values()), kafkaView);
    }

    private static long ms(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }
}
