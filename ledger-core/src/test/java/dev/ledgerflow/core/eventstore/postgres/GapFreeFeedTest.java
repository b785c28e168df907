package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/**
 * No subscriber may ever miss or reorder an event, however transactions interleave. Positions come
 * from a sequence, so a transaction that drew an early position can commit after others drew and
 * committed later ones: a reader that keeps "the highest position seen" skips it forever.
 */
class GapFreeFeedTest {

    private PostgresSettings settings;
    private ConnectionPool pool;
    private PostgresEventStore store;
    private final List<Disposable> subscriptions = new ArrayList<>();

    @BeforeEach
    void setUp() {
        settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "gap-free-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "gap-free-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        subscriptions.forEach(Disposable::dispose);
        store.close();
        pool.dispose();
    }

    @Test
    void every_subscriber_sees_every_committed_event_exactly_once_in_one_order_while_a_naive_reader_skips() throws Exception {
        List<RecordedEvent> early = subscribe();
        NaivePositionReader naive = new NaivePositionReader(settings);
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            Future<?> naiveRun = threads.submit(naive);

            // A transaction draws the lowest position of what follows and stays open.
            Connection slow = openTransaction();
            long slowPosition = appendInOpenTransaction(slow, "slow", 3);
            // Another one will roll back: its positions are gaps that never fill.
            Connection doomed = openTransaction();
            appendInOpenTransaction(doomed, "doomed", 2);

            // Concurrent writers commit many later positions meanwhile.
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(threads.submit(() -> {
                    for (int n = 0; n < 25; n++) {
                        store.append(StreamId.of("w" + writer + "_" + n), ExpectedVersion.noStream(),
                                        List.of(event(), event()))
                                .block(Duration.ofSeconds(10));
                    }
                }));
            }
            // A second slow transaction starts in the middle and commits before the first.
            Connection middle = openTransaction();
            appendInOpenTransaction(middle, "middle", 1);
            for (Future<?> writer : writers) {
                writer.get(30, TimeUnit.SECONDS);
            }
            middle.commit();

            // The naive reader has moved past the slow transaction's position: it will never look back.
            await().atMost(Duration.ofSeconds(10)).until(() -> naive.highestSeen() > slowPosition);
            doomed.rollback();
            slow.commit();
            slow.close();
            doomed.close();
            middle.close();

            List<UUID> committed = committedInFeedOrder();
            assertThat(committed).hasSize(3 + 1 + 4 * 25 * 2);
            List<RecordedEvent> late = subscribe();

            // A last event, committed after all others: once a subscriber has it, the feed's order says it
            // has everything before it, so what it holds then is all it will ever hold of them.
            NewEvent last = event();
            store.append(StreamId.of("last_0"), ExpectedVersion.noStream(), List.of(last)).block(Duration.ofSeconds(10));
            List<UUID> expected = new ArrayList<>(committed);
            expected.add(last.eventId());
            await().atMost(Duration.ofSeconds(20)).until(() -> holds(early, last) && holds(late, last));
            assertThat(early).extracting(RecordedEvent::eventId).containsExactlyElementsOf(expected);
            assertThat(late).extracting(RecordedEvent::eventId).containsExactlyElementsOf(expected);
            assertThat(early).extracting(RecordedEvent::logPosition).isSorted();

            naive.stop();
            naiveRun.get(10, TimeUnit.SECONDS);
            assertThat(naive.seen())
                    .as("the naive position > last reader misses the slow transaction's events")
                    .hasSizeLessThan(committed.size())
                    .doesNotContainAnyElementsOf(eventIdsOfStream("slow_0"));
        } finally {
            threads.shutdownNow();
        }
    }

    private static boolean holds(List<RecordedEvent> received, NewEvent event) {
        return received.stream().anyMatch(recorded -> recorded.eventId().equals(event.eventId()));
    }

    private List<RecordedEvent> subscribe() {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        subscriptions.add(store.subscribe(LogPosition.START).subscribe(received::add));
        return received;
    }

    private Connection openTransaction() throws SQLException {
        Connection connection = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
        connection.setAutoCommit(false);
        return connection;
    }

    /**
     * Writes events inside a transaction the test controls, with a plain insert. Not through
     * {@code ledger_append_batch}: since V40 that function holds the log's chain head from drawing its
     * positions to its commit, so its appends can no longer commit out of position order (the other
     * writers would wait for this open transaction). The feed must not depend on that: a late commit of an
     * early position, by whatever writer, must still reach every reader.
     */
    private static long appendInOpenTransaction(Connection connection, String name, int events) throws SQLException {
        try (var statement = connection.prepareStatement("insert into events (stream_id, stream_version, event_id, type,"
                + " payload) select ?, v, gen_random_uuid(), 'thing.happened', '{}' from generate_series(1, ?) v"
                + " order by v returning position")) {
            statement.setString(1, name + "_0");
            statement.setInt(2, events);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private List<UUID> committedInFeedOrder() throws SQLException {
        return queryIds("select event_id from events order by txid, position");
    }

    private List<UUID> eventIdsOfStream(String stream) throws SQLException {
        return queryIds("select event_id from events where stream_id = '" + stream + "'");
    }

    private List<UUID> queryIds(String sql) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getObject(1, UUID.class));
            }
        }
        return ids;
    }

    private static NewEvent event() {
        return new NewEvent(UUID.randomUUID(), "thing.happened", "{}", "{}");
    }

    /** The reader this test exists to refute: poll {@code position > highest seen}. */
    static final class NaivePositionReader implements Runnable {
        private final PostgresSettings settings;
        private final List<UUID> seen = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile long highestSeen;

        NaivePositionReader(PostgresSettings settings) {
            this.settings = settings;
        }

        @Override
        public void run() {
            try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
                    var query = c.prepareStatement("select position, event_id from events where position > ? order by position")) {
                boolean lastRound = false;
                while (running.get() || !lastRound) {
                    lastRound = !running.get();
                    query.setLong(1, highestSeen);
                    try (ResultSet rs = query.executeQuery()) {
                        while (rs.next()) {
                            highestSeen = rs.getLong(1);
                            seen.add(rs.getObject(2, UUID.class));
                        }
                    }
                    Thread.sleep(5);
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        long highestSeen() {
            return highestSeen;
        }

        List<UUID> seen() {
            return List.copyOf(seen);
        }

        void stop() {
            running.set(false);
        }
    }
}
