package dev.ledgerflow.delivery.kafka;

import dev.ledgerflow.core.eventstore.LogPosition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How far a consumer of the feed is behind the log: the events committed after its checkpoint (in
 * feed order, counted up to {@value #COUNT_MAX}) and the age of the oldest of them.
 */
public final class RelayLag {

    /** Counting stops here, so that a consumer far behind does not cost a scan of the whole log. */
    public static final int COUNT_MAX = 1_000_000;

    private static final String BEHIND = "select count(*) as behind, min(recorded_at) as oldest from ("
            + "select recorded_at from events where (txid, position) > ($1::text::xid8, $2) limit " + COUNT_MAX + ") t";

    private final ConnectionFactory connections;
    private final Clock clock;

    public RelayLag(ConnectionFactory connections, Clock clock) {
        this.connections = connections;
        this.clock = clock;
    }

    /**
     * A measurement.
     *
     * @param events events after the checkpoint, at most {@link #COUNT_MAX}
     * @param oldestAge how long ago the oldest of them was recorded; zero when none is behind
     */
    public record Lag(long events, Duration oldestAge) {
        public static final Lag NONE = new Lag(0, Duration.ZERO);
    }

    /** Measures the lag of a consumer whose checkpoint is {@code checkpoint}. */
    public Mono<Lag> behind(LogPosition checkpoint) {
        return Mono.usingWhen(
                connections.create(),
                connection -> Flux.from(connection.createStatement(BEHIND)
                                .bind("$1", Long.toString(checkpoint.txid()))
                                .bind("$2", checkpoint.position())
                                .execute())
                        .concatMap(result -> result.map(row -> toLag(
                                row.get("behind", Long.class), row.get("oldest", OffsetDateTime.class))))
                        .next(),
                Connection::close);
    }

    private Lag toLag(Long behind, OffsetDateTime oldest) {
        if (behind == null || behind == 0 || oldest == null) {
            return Lag.NONE;
        }
        Duration age = Duration.between(oldest.toInstant(), clock.instant());
        return new Lag(behind, age.isNegative() ? Duration.ZERO : age);
    }
}
