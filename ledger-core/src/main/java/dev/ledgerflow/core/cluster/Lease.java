package dev.ledgerflow.core.cluster;

import dev.ledgerflow.core.eventstore.LogPosition;

/**
 * One partition of a lease group held by this instance.
 *
 * @param epoch how many times the partition was acquired, this time included: the fencing token a
 *     checkpoint save must present
 * @param checkpoint the partition's saved place in the feed when it was acquired
 */
public record Lease(String group, int partition, long epoch, LogPosition checkpoint) {}
