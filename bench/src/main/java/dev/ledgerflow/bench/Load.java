package dev.ledgerflow.bench;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one operation under load and measures it: closed loop (N in flight, each next request as soon
 * as the last answered) or open loop at a fixed arrival rate, where latency counts from the moment a
 * request was due, not sent (corrected for coordinated omission: a stall shows as latency).
 */
final class Load {

    /** What one run measured. Latencies in microseconds. */
    record Result(String name, String mode, long requests, long ok, Map<Integer, Long> statuses, long errors,
            double seconds, Histogram latencyMicros) {
        double throughput() {
            return ok / seconds;
        }

        long percentile(double p) {
            return latencyMicros.getValueAtPercentile(p);
        }
    }

    /** One request: its index, answering with the HTTP status (or an error). */
    interface Operation extends LongFunction<Mono<Integer>> {}

    /** One request that also learns when it was due (System.nanoTime), to time what follows it. */
    interface DueOperation {
        Mono<Integer> apply(long index, long dueNanos);
    }

    private static volatile Runnable beforeEachRun = () -> {};

    /** Runs before every run starts its load (the report resets the statement counts there). */
    static void beforeEachRun(Runnable hook) {
        beforeEachRun = hook;
    }

    static Result closedLoop(String name, int concurrency, Duration duration, long requestsMax, Operation operation) {
        beforeEachRun.run();
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        Counters counters = new Counters();
        AtomicLong next = new AtomicLong();
        long deadline = System.nanoTime() + duration.toNanos();
        long started = System.nanoTime();
        Flux.range(0, concurrency)
                .flatMap(worker -> Mono.defer(() -> {
                            long index = next.getAndIncrement();
                            if (index >= requestsMax || System.nanoTime() > deadline) {
                                return Mono.<Boolean>just(false);
                            }
                            long sent = System.nanoTime();
                            return operation.apply(index)
                                    .doOnNext(status -> counters.count(status))
                                    .doOnError(error -> counters.errors.increment())
                                    .onErrorResume(error -> Mono.just(-1))
                                    .doOnNext(status -> recorder.recordValue(Math.max(1, (System.nanoTime() - sent) / 1_000)))
                                    .thenReturn(true);
                        })
                        .repeat()
                        .takeWhile(Boolean::booleanValue), concurrency)
                .blockLast();
        double seconds = (System.nanoTime() - started) / 1e9;
        return counters.result(name, "closed loop, " + concurrency + " connections", seconds, recorder.getIntervalHistogram());
    }

    static Result fixedRate(String name, double perSecond, Duration duration, int inFlightMax, Operation operation) {
        return fixedRate(name, perSecond, duration, inFlightMax, (index, due) -> operation.apply(index));
    }

    static Result fixedRate(String name, double perSecond, Duration duration, int inFlightMax, DueOperation operation) {
        beforeEachRun.run();
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        Counters counters = new Counters();
        AtomicLong inFlight = new AtomicLong();
        LongAdder dropped = new LongAdder();
        long total = (long) (perSecond * duration.toSeconds());
        double intervalNanos = 1e9 / perSecond;
        long started = System.nanoTime();
        AtomicLong finished = new AtomicLong();
        for (long i = 0; i < total; i++) {
            long due = started + (long) (i * intervalNanos);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            if (inFlight.get() >= inFlightMax) {
                // The service is too far behind: count the request as failed rather than queue without bound.
                dropped.increment();
                counters.errors.increment();
                recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1_000));
                finished.incrementAndGet();
                continue;
            }
            inFlight.incrementAndGet();
            long index = i;
            operation.apply(index, due)
                    .onErrorResume(error -> Mono.just(-1))
                    .subscribe(status -> {
                        if (status < 0) {
                            counters.errors.increment();
                        } else {
                            counters.count(status);
                        }
                        recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1_000));
                        inFlight.decrementAndGet();
                        finished.incrementAndGet();
                    });
        }
        // Every request ends: answered, or failed by the client's acquire and response timeouts.
        while (finished.get() < total) {
            LockSupport.parkNanos(1_000_000);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        String mode = String.format("fixed rate %.0f/s%s", perSecond, dropped.sum() > 0 ? ", " + dropped.sum() + " not sent (backlog)" : "");
        return counters.result(name, mode, seconds, recorder.getIntervalHistogram());
    }

    private static final class Counters {
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();

        void count(int status) {
            statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
            if (status >= 200 && status < 300) {
                ok.increment();
            }
        }

        Result result(String name, String mode, double seconds, Histogram histogram) {
            Map<Integer, Long> byStatus = new java.util.TreeMap<>();
            statuses.forEach((status, count) -> byStatus.put(status, count.sum()));
            long requests = byStatus.values().stream().mapToLong(Long::longValue).sum() + errors.sum();
            return new Result(name, mode, requests, ok.sum(), byStatus, errors.sum(), seconds, histogram);
        }
    }
}
