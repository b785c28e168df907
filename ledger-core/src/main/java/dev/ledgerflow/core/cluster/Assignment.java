package dev.ledgerflow.core.cluster;

import dev.ledgerflow.core.eventstore.LogPosition;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The partitions of one lease group this instance owns now, by partition number. */
public record Assignment(String group, int partitions, SortedMap<Integer, Lease> leases) {

    public Assignment {
        leases = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(leases));
    }

    public static Assignment none(String group, int partitions) {
        return new Assignment(group, partitions, new TreeMap<>());
    }

    public static Assignment of(String group, int partitions, Iterable<Lease> leases) {
        TreeMap<Integer, Lease> byPartition = new TreeMap<>();
        leases.forEach(lease -> byPartition.put(lease.partition(), lease));
        return new Assignment(group, partitions, byPartition);
    }

    public boolean isEmpty() {
        return leases.isEmpty();
    }

    public boolean owns(int partition) {
        return leases.containsKey(partition);
    }

    /** The earliest checkpoint of the owned partitions: where a consumer of all of them resumes. */
    public LogPosition resumeAfter() {
        return leases.values().stream().map(Lease::checkpoint).min(LogPosition::compareTo).orElse(LogPosition.START);
    }

    /** Same partitions under the same epochs. */
    public boolean sameLeasesAs(Assignment other) {
        if (other == null || leases.size() != other.leases.size()) {
            return false;
        }
        for (Map.Entry<Integer, Lease> entry : leases.entrySet()) {
            Lease theirs = other.leases.get(entry.getKey());
            if (theirs == null || theirs.epoch() != entry.getValue().epoch()) {
                return false;
            }
        }
        return true;
    }
}
