package dev.ledgerflow.core.cluster;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How an instance takes part in the cluster of instances that share one database.
 *
 * @param instanceId this instance's name among the others, unique per process (a restart is a new instance)
 * @param host where it runs, for operators
 * @param partitions how many partitions the log's streams are split into for a partitioned consumer
 *     (payment processor, webhook dispatcher); every instance must use the same number
 * @param leaseTtl a lease whose owner has not renewed it for this long may be taken over: the
 *     longest a crashed instance's partitions stay without an owner, less one heartbeat
 * @param heartbeatInterval how often an instance renews all its leases (one statement) and
 *     rebalances; well below {@code leaseTtl}, so that a late heartbeat or two loses nothing
 */
public record ClusterSettings(String instanceId, String host, int partitions, Duration leaseTtl, Duration heartbeatInterval) {

    public ClusterSettings {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(host, "host");
        if (instanceId.isBlank() || instanceId.length() > 200) {
            throw new IllegalArgumentException("instanceId must be 1..200 characters");
        }
        if (partitions < 1 || partitions > 4096) {
            throw new IllegalArgumentException("partitions must be 1..4096, not " + partitions);
        }
        if (leaseTtl == null || heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()
                || leaseTtl.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("the lease time-to-live must be at least two heartbeat intervals: "
                    + leaseTtl + " vs " + heartbeatInterval);
        }
    }

    /** 16 partitions, leases that expire 6 s after the last of heartbeats 2 s apart: a crashed instance's work moves within 8 s. */
    public static ClusterSettings defaults() {
        return new ClusterSettings(newInstanceId(), localHost(), 16, Duration.ofSeconds(6), Duration.ofSeconds(2));
    }

    public ClusterSettings withInstanceId(String otherInstanceId) {
        return new ClusterSettings(otherInstanceId, host, partitions, leaseTtl, heartbeatInterval);
    }

    public ClusterSettings withPartitions(int otherPartitions) {
        return new ClusterSettings(instanceId, host, otherPartitions, leaseTtl, heartbeatInterval);
    }

    public ClusterSettings withLeases(Duration otherLeaseTtl, Duration otherHeartbeatInterval) {
        return new ClusterSettings(instanceId, host, partitions, otherLeaseTtl, otherHeartbeatInterval);
    }

    /** The host name and a random suffix: two processes on one host, or one restarted, are different instances. */
    public static String newInstanceId() {
        return localHost() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
