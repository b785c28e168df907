package dev.ledgerflow.core.eventstore.postgres;

import java.util.concurrent.atomic.LongAdder;

/** How well group commit batches: appends and transactions written so far. */
public final class GroupCommitStats {

    private final LongAdder appends = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder splits = new LongAdder();

    void recordBatch(int size) {
        appends.add(size);
        batches.increment();
    }

    void recordSplit() {
        splits.increment();
    }

    /**
     * Batches the database refused as a whole (one append's data, such as a text it cannot store), whose
     * appends were then written one by one so that only the offender failed.
     */
    public long splits() {
        return splits.sum();
    }

    public long appends() {
        return appends.sum();
    }

    public long batches() {
        return batches.sum();
    }
}
