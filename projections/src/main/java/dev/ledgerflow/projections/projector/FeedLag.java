package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.postgres.LogTail;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.sql.Sql;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.time.OffsetDateTime;
import reactor.core.publisher.Mono;

/**
 * How far a reader of the feed (a projection generation, a feed consumer) is behind its head: in
 * events, and in how long the oldest event it has not handled yet has been waiting.
 *
 * <p>Events are counted exactly up to {@link #COUNT_MAX}; beyond that (a rebuild that has just
 * started) counting would cost more than the answer is worth, and the lag is estimated from the
 * difference of global positions instead.
 *
 * <p>A reader within the window of the instance's {@link LogTail} (every reader that keeps up) is
 * measured in memory, against what the tail has read; only one further behind costs a query.
 */
public final class FeedLag {

    /** Counted exactly up to this many events. */
    public static final int COUNT_MAX = 100_000;

    private static final String AFTER = PostgresEventStore.FEED_AFTER;
    private static final String LAG = "select"
            + " (select count(*) from (select 1 from events where " + AFTER + " limit $3) behind) as behind,"
            + " (select recorded_at from events where " + AFTER + " order by txid, position limit 1) as oldest,"
            + " (select max(position) from events) as head,"
            + " now() as now";

    /** Events not yet handled, and the age of the oldest of them (zero when caught up). */
    public record Lag(long events, long millis, boolean estimated) {
        public static final Lag NONE = new Lag(0, 0, false);
    }

    private final ConnectionFactory connections;
    private final LogTail tail;
    private final Clock clock;

    public FeedLag(ConnectionFactory connections, LogTail tail, Clock clock) {
        this.connections = connections;
        this.tail = tail;
        this.clock = clock;
    }

    /** The lag of a reader that has handled everything up to and including {@code checkpoint}. */
    public Mono<Lag> of(LogPosition checkpoint) {
        Optional<List<RecordedEvent>> inWindow = tail.after(checkpoint, COUNT_MAX);
        if (inWindow.isPresent()) {
            List<RecordedEvent> events = inWindow.get();
            long millis = events.isEmpty()
                    ? 0
                    : Math.max(0, Duration.between(events.getFirst().recordedAt(), clock.instant()).toMillis());
            return Mono.just(new Lag(events.size(), millis, false));
        }
        return Sql.query(connections, LAG,
                        s -> s.bind("$1", Long.toString(checkpoint.txid())).bind("$2", checkpoint.position()).bind("$3", COUNT_MAX),
                        row -> {
                            long behind = Sql.longOrZero(row, "behind");
                            OffsetDateTime oldest = row.get("oldest", OffsetDateTime.class);
                            OffsetDateTime now = row.get("now", OffsetDateTime.class);
                            long millis = oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toMillis());
                            if (behind < COUNT_MAX) {
                                return new Lag(behind, millis, false);
                            }
                            long estimate = Math.max(behind, Sql.longOrZero(row, "head") - checkpoint.position());
                            return new Lag(estimate, millis, true);
                        })
                .next()
                .defaultIfEmpty(Lag.NONE);
    }
}
