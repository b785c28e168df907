package dev.ledgerflow.core.eventstore.postgres;

import java.util.concurrent.atomic.LongAdder;

/** How well group commit batches: appends and transactions written so far. */
public final class GroupCommitStats {

    private final LongAdder appends = new LongAdder();
    private final LongAdder batches = new LongAdder();

    void recordBatch(int size) {
        appends.add(size);
        batches.increment();
    }

    public long appends() {
        return appends.sum();
    }

    public long batches() {
        return batches.sum();
    }
}
