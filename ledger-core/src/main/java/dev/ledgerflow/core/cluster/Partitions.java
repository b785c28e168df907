package dev.ledgerflow.core.cluster;

import dev.ledgerflow.core.eventstore.StreamId;

/**
 * Which partition of the log a stream belongs to: a hash of its id, the same in every process and
 * every release ({@link String#hashCode()} is specified), so all events of one stream, in order, are
 * handled by the one instance that owns its partition.
 */
public final class Partitions {

    private Partitions() {}

    public static int of(StreamId stream, int partitions) {
        int hash = stream.value().hashCode() * 0x9E3779B1; // spreads ids that differ in their last characters only
        return Math.floorMod(hash ^ (hash >>> 16), partitions);
    }
}
