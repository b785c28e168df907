package dev.ledgerflow.core.eventstore;

/**
 * A place in the gap-free feed. The feed is ordered by the writing transaction's id, then by the
 * global position, because positions drawn from a sequence commit out of order; a transaction id
 * below the oldest running transaction can no longer be preceded by anything that commits later.
 * Resuming after an event means resuming after its (txid, position) pair.
 */
public record LogPosition(long txid, long position) implements Comparable<LogPosition> {

    /** Before the first event. */
    public static final LogPosition START = new LogPosition(0, 0);

    public LogPosition {
        if (txid < 0 || position < 0) {
            throw new IllegalArgumentException("log position must not be negative: " + txid + "/" + position);
        }
    }

    @Override
    public int compareTo(LogPosition other) {
        int byTx = Long.compare(txid, other.txid);
        return byTx != 0 ? byTx : Long.compare(position, other.position);
    }

    public boolean isAfter(LogPosition other) {
        return compareTo(other) > 0;
    }
}
