package dev.ledgerflow.core.eventstore.postgres;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes expired idempotency keys, which were otherwise kept for ever: each run deletes at most
 * {@code batchMax} of the oldest expired rows, found through the {@code expires_at} index, so one run
 * is one short statement however many keys have piled up; runs repeat every {@code interval}, and
 * at once while a run found a full batch. A key is expired when its {@code expires_at} is before both
 * the injected clock and the database's own {@code now()}: the appends, which decide whether a stored
 * key still answers, use the database's clock, so a fast application clock can never sweep a key the
 * database still holds valid.
 */
public final class IdempotencyKeySweeper implements Disposable {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeySweeper.class);
    static final String SWEEP = "delete from idempotency_keys where ctid = any(array("
            + "select ctid from idempotency_keys where expires_at <= least($1::timestamptz, now())"
            + " order by expires_at limit $2))";

    private final ConnectionFactory connections;
    private final Clock clock;
    private final int batchMax;
    private final Duration interval;
    private final Counter swept;
    private volatile Disposable running;

    public IdempotencyKeySweeper(ConnectionFactory connections, Clock clock, int batchMax, Duration interval, MeterRegistry meters) {
        if (batchMax < 1 || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a sweep deletes at least one key, at a positive interval");
        }
        this.connections = connections;
        this.clock = clock;
        this.batchMax = batchMax;
        this.interval = interval;
        this.swept = Counter.builder("ledger.idempotency.keys.swept")
                .description("Expired idempotency keys deleted")
                .register(meters);
    }

    /** One run: deletes at most {@code batchMax} expired keys and answers how many it deleted. */
    public Mono<Long> sweepOnce() {
        return Mono.usingWhen(
                        connections.create(),
                        c -> Mono.from(c.createStatement(SWEEP)
                                        .bind("$1", clock.instant().atOffset(ZoneOffset.UTC))
                                        .bind("$2", batchMax)
                                        .execute())
                                .flatMap(result -> Mono.from(result.getRowsUpdated())),
                        Connection::close)
                .doOnNext(swept::increment);
    }

    /** Sweeps every {@code interval}, and again at once while runs find full batches. */
    public synchronized IdempotencyKeySweeper start() {
        if (running == null || running.isDisposed()) {
            running = Flux.interval(interval, interval)
                    .onBackpressureDrop()
                    .concatMap(tick -> sweepOnce()
                            .expand(deleted -> deleted >= batchMax ? sweepOnce() : Mono.empty())
                            .onErrorResume(error -> {
                                log.warn("Idempotency key sweep failed ({}); retrying at the next run", error.toString());
                                return Mono.empty();
                            }), 1)
                    .subscribe();
        }
        return this;
    }

    @Override
    public void dispose() {
        Disposable current = running;
        if (current != null) {
            current.dispose();
        }
    }

    @Override
    public boolean isDisposed() {
        Disposable current = running;
        return current == null || current.isDisposed();
    }
}
