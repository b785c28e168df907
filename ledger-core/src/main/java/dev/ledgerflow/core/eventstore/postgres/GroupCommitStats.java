package dev.ledgerflow.core.eventstore.postgres;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * How well group commit batches, as meters of the registry it is given: batch size, how long a batch's
 * oldest append waited for it, each append's time from submit to outcome, splits and refusals of a
 * full queue. Recording costs a few adds per batch and one timer update per append (no histograms).
 */
public final class GroupCommitStats {

    private final DistributionSummary batchSize;
    private final Timer batchWait;
    private final Timer appendDuration;
    private final Counter splits;
    private final Counter overloaded;

    GroupCommitStats(MeterRegistry meters, IntSupplier waiting) {
        this.batchSize = DistributionSummary.builder("ledger.append.batch.size")
                .description("Appends written in one group-commit transaction").register(meters);
        this.batchWait = Timer.builder("ledger.append.batch.wait")
                .description("How long the oldest append of a batch waited in the queue before its batch was written")
                .register(meters);
        this.appendDuration = Timer.builder("ledger.append.duration")
                .description("An append's time from submit to its outcome: queue wait and the batch's transaction")
                .register(meters);
        this.splits = Counter.builder("ledger.append.batch.splits")
                .description("Batches the database refused whole, whose appends were then written one by one")
                .register(meters);
        this.overloaded = Counter.builder("ledger.overload.rejections").tag("stage", "append_queue")
                .description("Writes answered 503 overloaded at once, nothing done").register(meters);
        Gauge.builder("ledger.append.queue.waiting", waiting, IntSupplier::getAsInt).strongReference(true)
                .description("Appends waiting for a group commit right now").register(meters);
    }

    void recordBatchStart(long oldestSubmittedNanos, long startNanos) {
        batchWait.record(startNanos - oldestSubmittedNanos, TimeUnit.NANOSECONDS);
    }

    void recordBatch(int size) {
        batchSize.record(size);
    }

    void recordAppend(long submittedNanos, long doneNanos) {
        appendDuration.record(doneNanos - submittedNanos, TimeUnit.NANOSECONDS);
    }

    void recordSplit() {
        splits.increment();
    }

    void recordOverloaded() {
        overloaded.increment();
    }

    /**
     * Batches the database refused as a whole (one append's data, such as a text it cannot store), whose
     * appends were then written one by one so that only the offender failed.
     */
    public long splits() {
        return (long) splits.count();
    }

    /** Appends written, over every batch. */
    public long appends() {
        return (long) batchSize.totalAmount();
    }

    /** Group-commit transactions written. */
    public long batches() {
        return batchSize.count();
    }
}
