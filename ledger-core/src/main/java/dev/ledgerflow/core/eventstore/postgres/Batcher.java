package dev.ledgerflow.core.eventstore.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Adaptive batching of writes, the shape of group commit: calls that arrive while batches are being
 * written wait for the next batch, and each batch is written by one call of the writer (one statement,
 * one commit). Under light load a batch holds one call and adds no delay; under load batches grow.
 *
 * <p>The queue is bounded: a call that finds {@code queueMax} calls already waiting is refused at once
 * with the error {@code refusal} makes, before anything is written.
 *
 * @param <I> what a call asks to write
 * @param <O> what it answers
 */
public final class Batcher<I, O> {

    /** A call waiting in a batch: its input, where its answer goes, and when it was submitted ({@link System#nanoTime()}). */
    public record Pending<I, O>(I input, MonoSink<O> sink, long submittedNanos) {}

    private final int batchSizeMax;
    private final int batchesInFlightMax;
    private final int queueMax;
    private final Function<List<Pending<I, O>>, Mono<Void>> writer;
    private final IntFunction<? extends RuntimeException> refusal;
    private final Queue<Pending<I, O>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param writer writes one batch and completes every call's sink in it; the {@code Mono} it answers
     *     completes when the batch is done and must not fail (a failure is each call's, through its sink)
     * @param refusal the error a call over the bound gets, from the number of calls already waiting
     */
    public Batcher(int batchSizeMax, int batchesInFlightMax, int queueMax,
            Function<List<Pending<I, O>>, Mono<Void>> writer, IntFunction<? extends RuntimeException> refusal) {
        if (batchSizeMax < 1 || batchesInFlightMax < 1 || queueMax < 1) {
            throw new IllegalArgumentException("batch size, batches in flight and queue size must be at least 1");
        }
        this.batchSizeMax = batchSizeMax;
        this.batchesInFlightMax = batchesInFlightMax;
        this.queueMax = queueMax;
        this.writer = Objects.requireNonNull(writer, "writer");
        this.refusal = Objects.requireNonNull(refusal, "refusal");
    }

    /** Writes {@code input} with the next batch; its answer, or the refusal if too many calls are waiting. */
    public Mono<O> submit(I input) {
        return Mono.create(sink -> {
            int waiting = queued.incrementAndGet();
            if (waiting > queueMax) {
                queued.decrementAndGet();
                sink.error(refusal.apply(waiting - 1));
                return;
            }
            queue.add(new Pending<>(input, sink, System.nanoTime()));
            drain();
        });
    }

    /** Calls waiting for a batch right now. */
    public int waiting() {
        return queued.get();
    }

    private void drain() {
        while (!queue.isEmpty()) {
            int running = inFlight.get();
            if (running >= batchesInFlightMax) {
                return;
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            List<Pending<I, O>> batch = new ArrayList<>(Math.min(batchSizeMax, 64));
            Pending<I, O> next;
            while (batch.size() < batchSizeMax && (next = queue.poll()) != null) {
                batch.add(next);
            }
            queued.addAndGet(-batch.size());
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            // Deferred: a writer that throws while building its statement fails the batch's calls and
            // frees its place in flight like any other failure, instead of stalling the batcher for good.
            Mono.defer(() -> writer.apply(batch))
                    .onErrorResume(error -> {
                        batch.forEach(pending -> pending.sink().error(error));
                        return Mono.empty();
                    })
                    .doFinally(signal -> {
                        inFlight.decrementAndGet();
                        drain();
                    })
                    .subscribe();
        }
    }
}
