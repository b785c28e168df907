package dev.ledgerflow.core.eventstore.postgres;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The connections of a pool, refused at once while PostgreSQL is known to be down. A connect that
 * failed for a reason of the server as a whole ({@link PostgresUnavailable}: refused, timed out,
 * shutting down or starting up) marks it down; from then on every connect fails at once with that
 * reason, so requests answer a fast 503 instead of each paying a connect attempt (about a second, and
 * the connect timeout when the host does not answer at all) under what may be overload. Meanwhile one
 * probe connects in the background every {@code probeInterval}; the first that succeeds marks the
 * server up again, with no restart.
 *
 * <p>Only a failed connect marks it down: a failed statement, a slow query, a full pool or a refused
 * password never do, so a database that answers is never refused. A connect that succeeds, the probe's
 * or one begun before the outage was noticed, marks it up.
 */
public final class FailFastConnections implements ConnectionFactory {

    private static final Logger log = LoggerFactory.getLogger(FailFastConnections.class);

    private final ConnectionFactory delegate;
    private final String name;
    private final Duration probeInterval;
    /** Null while PostgreSQL is taken to be up. */
    private final AtomicReference<Down> down = new AtomicReference<>();

    /** Since when connecting fails, and the failure that said so. */
    private record Down(long sinceNanos, Throwable cause) {}

    public FailFastConnections(ConnectionFactory delegate, String name, Duration probeInterval) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.name = Objects.requireNonNull(name, "name");
        this.probeInterval = Objects.requireNonNull(probeInterval, "probeInterval");
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("probeInterval must be positive");
        }
    }

    /** True while connecting is known to fail (and is refused at once). */
    public boolean down() {
        return down.get() != null;
    }

    @Override
    public Mono<Connection> create() {
        return Mono.defer(() -> {
            Down current = down.get();
            if (current != null) {
                return Mono.error(new Refused(name, current));
            }
            return Mono.<Connection>from(delegate.create())
                    .doOnNext(connection -> up())
                    .doOnError(this::failed);
        });
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return delegate.getMetadata();
    }

    private void failed(Throwable error) {
        if (!PostgresUnavailable.explains(error)) {
            return;
        }
        Down noticed = new Down(System.nanoTime(), error);
        if (down.compareAndSet(null, noticed)) {
            log.warn("PostgreSQL ({}) is unavailable: connecting failed ({}); connections are refused at once until a"
                    + " connect every {} in the background succeeds", name, error.toString(), probeInterval);
            probeUntilUp(noticed);
        }
    }

    private void up() {
        Down was = down.getAndSet(null);
        if (was != null) {
            log.info("PostgreSQL ({}) is reachable again after {} ms", name,
                    Duration.ofNanos(System.nanoTime() - was.sinceNanos()).toMillis());
        }
    }

    /** Connects every probe interval until a connect succeeds (or another one already marked it up). */
    private void probeUntilUp(Down noticed) {
        Flux.interval(probeInterval)
                .onBackpressureDrop() // a probe that waits for its connect timeout skips the ticks meanwhile
                .concatMap(tick -> Mono.usingWhen(Mono.from(delegate.create()), connection -> Mono.just(true),
                                Connection::close)
                        .onErrorResume(error -> Mono.just(false)), 1)
                .takeUntil(connected -> connected || down.get() != noticed)
                .filter(connected -> connected)
                .subscribe(connected -> up(), error -> {
                    log.error("PostgreSQL ({}) probe stopped; connections are tried again", name, error);
                    down.compareAndSet(noticed, null);
                });
    }

    /** A connect refused without trying: PostgreSQL was found unavailable and no probe has connected since. */
    static final class Refused extends R2dbcNonTransientResourceException {

        Refused(String name, Down down) {
            super("PostgreSQL (" + name + ") is unavailable: connecting failed "
                    + Duration.ofNanos(System.nanoTime() - down.sinceNanos()).toMillis() + " ms ago (" + down.cause()
                    + ") and has not succeeded since");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // thrown for every request while the database is down: its stack says nothing
        }
    }
}
