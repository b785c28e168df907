package dev.ledgerflow.core.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
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
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The checkpointed feed consumer on a real PostgreSQL: at least once, and never past an unfinished event. */
class FeedConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String NAME = "test-consumer";
    private static final FeedConsumer.Settings SETTINGS = new FeedConsumer.Settings(
            8, 4, Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(100));

    private PostgresSettings settings;
    private ConnectionPool pool;
    private PostgresEventStore store;
    private CheckpointStore checkpoints;
    private final List<FeedConsumer> consumers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "feed-consumer-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "feed-consumer-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        checkpoints = new CheckpointStore(pool);
    }

    @AfterEach
    void tearDown() {
        consumers.forEach(c -> c.stop().block(WAIT));
        store.close();
        pool.dispose();
    }

    @Test
    void a_restarted_consumer_resumes_after_its_checkpoint_and_never_hands_over_a_checkpointed_event_again() {
        append(0, 10);
        Recorder first = new Recorder(event -> Mono.empty());
        FeedConsumer consumer = start(first);
        await().atMost(WAIT).until(() -> first.numbers().size() == 10);
        consumer.stop().block(WAIT);
        LogPosition last = first.events.getLast().logPosition();
        assertThat(checkpoints.load(NAME).block(WAIT)).isEqualTo(last);

        append(10, 5);
        Recorder second = new Recorder(event -> Mono.empty());
        FeedConsumer restarted = start(second);

        await().atMost(WAIT).until(() -> second.numbers().size() == 5);
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> second.numbers().size() == 5);
        assertThat(second.numbers()).containsExactly(10, 11, 12, 13, 14);
        assertThat(restarted.status().eventsFinished()).isEqualTo(5);
    }

    @Test
    void the_checkpoint_is_saved_without_a_stop_once_the_interval_has_passed_after_the_last_event() {
        append(0, 6); // one batch of 4 and a rest of 2 that only the interval saves
        Recorder recorder = new Recorder(event -> Mono.empty());
        FeedConsumer consumer = start(recorder);

        await().atMost(WAIT).until(() -> recorder.numbers().size() == 6);
        LogPosition last = recorder.events.getLast().logPosition();
        await().atMost(WAIT).until(() -> last.equals(checkpoints.load(NAME).block(WAIT)));
        assertThat(consumer.status().savedCheckpoint()).isEqualTo(last);
        assertThat(consumer.checkpoint()).isEqualTo(last);
    }

    @Test
    void a_failing_handler_never_lets_the_checkpoint_pass_its_event_and_gets_the_event_again_after_a_restart() {
        List<RecordedEvent> log = append(0, 10);
        AtomicBoolean broken = new AtomicBoolean(true);
        AtomicInteger attemptsOnFifth = new AtomicInteger();
        Recorder recorder = new Recorder(event -> {
            if (number(event) == 5 && broken.get()) {
                attemptsOnFifth.incrementAndGet();
                return Mono.error(new IllegalStateException("handler broken"));
            }
            return Mono.empty();
        });
        FeedConsumer consumer = start(recorder);

        await().atMost(WAIT).until(() -> attemptsOnFifth.get() >= 3);
        LogPosition fifth = positionOf(log, 5);
        assertThat(consumer.checkpoint()).isLessThan(fifth);
        assertThat(checkpoints.load(NAME).block(WAIT)).isLessThan(fifth);
        assertThat(consumer.status().restarts()).isGreaterThanOrEqualTo(2);
        assertThat(consumer.status().lastError()).contains("handler broken");

        broken.set(false);
        LogPosition last = lastOf(log);
        await().atMost(WAIT).until(() -> last.equals(checkpoints.load(NAME).block(WAIT)));
        assertThat(recorder.numbers()).contains(5, 9);
        assertThat(consumer.status().running()).isTrue();
    }

    @Test
    void events_finish_out_of_order_but_the_checkpoint_waits_for_a_slow_earlier_one() {
        List<RecordedEvent> log = append(0, 6);
        Sinks.Empty<Void> release = Sinks.empty();
        Recorder recorder = new Recorder(event -> number(event) == 0 ? release.asMono() : Mono.empty());
        FeedConsumer consumer = start(recorder);

        await().atMost(WAIT).until(() -> recorder.numbers().containsAll(List.of(1, 2, 3, 4, 5)));
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> consumer.checkpoint().equals(LogPosition.START));
        assertThat(checkpoints.load(NAME).block(WAIT)).isEqualTo(LogPosition.START);

        release.tryEmitEmpty();
        LogPosition last = lastOf(log);
        await().atMost(WAIT).until(() -> last.equals(checkpoints.load(NAME).block(WAIT)));
    }

    @Test
    void a_handler_that_never_finishes_times_out_and_is_handed_the_event_again() {
        List<RecordedEvent> log = append(0, 2);
        AtomicInteger attemptsOnFirst = new AtomicInteger();
        Recorder recorder = new Recorder(event ->
                number(event) == 0 && attemptsOnFirst.incrementAndGet() == 1 ? Mono.never() : Mono.empty());
        FeedConsumer.Settings impatient = SETTINGS.withHandlerTimeout(Duration.ofMillis(200));
        FeedConsumer consumer = track(new FeedConsumer(NAME, store, checkpoints, recorder, impatient).start());

        LogPosition last = lastOf(log);
        await().atMost(WAIT).until(() -> last.equals(checkpoints.load(NAME).block(WAIT)));
        assertThat(attemptsOnFirst.get()).isEqualTo(2);
        assertThat(consumer.status().lastError()).contains("TimeoutException");
    }

    @Test
    void events_are_handed_over_in_feed_order_where_transaction_ids_gain_a_digit() throws SQLException {
        // The feed is ordered by transaction id; ordering it by the id's text would put 10000 before 9998
        // and make a consumer resume past events it never saw.
        // Transaction ids are the cluster's: other work on it between the burn and the appends can use up
        // the few left below the boundary. Then the six land above it, and the next power of ten is tried.
        List<RecordedEvent> log = List.of();
        for (int attempt = 0; attempt < 2; attempt++) {
            long boundary = burnTransactionIdsToJustBelowAPowerOfTen();
            log = append(6 * attempt, 6);
            List<Long> txids = log.subList(6 * attempt, 6 * attempt + 6).stream().map(e -> e.logPosition().txid()).toList();
            if (txids.stream().anyMatch(txid -> txid < boundary) && txids.stream().anyMatch(txid -> txid >= boundary)) {
                break;
            }
            assertThat(attempt).as("appends %s straddling %d on the second attempt", txids, boundary).isZero();
        }
        Recorder recorder = new Recorder(event -> Mono.empty());
        FeedConsumer consumer = start(recorder);
        List<RecordedEvent> appended = log;

        await().atMost(WAIT).until(() -> lastOf(appended).equals(consumer.checkpoint()));
        assertThat(recorder.numbers()).containsExactlyElementsOf(IntStream.range(0, log.size()).boxed().toList());
    }

    @Test
    void a_batched_consumer_hands_over_runs_of_consecutive_events_in_feed_order_and_checkpoints_after_them() {
        List<RecordedEvent> log = append(0, 23);
        List<List<Integer>> batches = new CopyOnWriteArrayList<>();
        FeedConsumer consumer = startBatched(batch -> {
            batches.add(batch.stream().map(FeedConsumerTest::number).toList());
            return Mono.empty();
        }, new FeedConsumer.Batching(5, Duration.ofMillis(20)));

        await().atMost(WAIT).until(() -> batches.stream().mapToInt(List::size).sum() == 23);
        assertThat(batches).allSatisfy(batch -> assertThat(batch).isNotEmpty().hasSizeLessThanOrEqualTo(5));
        assertThat(batches.stream().flatMap(List::stream).toList()).containsExactlyElementsOf(
                IntStream.range(0, 23).boxed().toList());
        await().atMost(WAIT).until(() -> lastOf(log).equals(checkpoints.load(NAME).block(WAIT)));
        assertThat(consumer.status().eventsFinished()).isEqualTo(23);

        append(23, 2); // a live tail is handed over without waiting for a full batch
        await().atMost(WAIT).until(() -> batches.stream().mapToInt(List::size).sum() == 25);
    }

    @Test
    void a_failing_batch_never_lets_the_checkpoint_pass_its_first_event_and_is_handed_over_again() {
        List<RecordedEvent> log = append(0, 12);
        AtomicBoolean broken = new AtomicBoolean(true);
        AtomicInteger failures = new AtomicInteger();
        List<Integer> handled = new CopyOnWriteArrayList<>();
        FeedConsumer consumer = startBatched(batch -> {
            List<Integer> numbers = batch.stream().map(FeedConsumerTest::number).toList();
            if (numbers.contains(7) && broken.get()) {
                failures.incrementAndGet();
                return Mono.error(new IllegalStateException("batch broken"));
            }
            handled.addAll(numbers);
            return Mono.empty();
        }, new FeedConsumer.Batching(4, Duration.ofMillis(20)));

        await().atMost(WAIT).until(() -> failures.get() >= 3);
        LogPosition seventh = positionOf(log, 7);
        assertThat(consumer.checkpoint()).isLessThan(seventh);
        assertThat(checkpoints.load(NAME).block(WAIT)).isLessThan(seventh);
        assertThat(consumer.status().lastError()).contains("batch broken").contains("a batch of");
        assertThat(handled).doesNotContain(7);

        broken.set(false);
        await().atMost(WAIT).until(() -> lastOf(log).equals(checkpoints.load(NAME).block(WAIT)));
        assertThat(handled).containsAll(IntStream.range(0, 12).boxed().toList());
    }

    /** A handler that records every event it is handed, then does what it is told. */
    private static final class Recorder implements FeedHandler {
        final List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        private final Function<RecordedEvent, Mono<Void>> behaviour;

        Recorder(Function<RecordedEvent, Mono<Void>> behaviour) {
            this.behaviour = behaviour;
        }

        @Override
        public Mono<Void> handle(RecordedEvent event) {
            events.add(event);
            return behaviour.apply(event);
        }

        List<Integer> numbers() {
            return events.stream().map(FeedConsumerTest::number).toList();
        }
    }

    private FeedConsumer start(FeedHandler handler) {
        return track(new FeedConsumer(NAME, store, checkpoints, handler, SETTINGS).start());
    }

    private FeedConsumer startBatched(FeedBatchHandler handler, FeedConsumer.Batching batching) {
        return track(new FeedConsumer(NAME, store, checkpoints, handler, SETTINGS.withConcurrency(2), batching).start());
    }

    private FeedConsumer track(FeedConsumer consumer) {
        consumers.add(consumer);
        return consumer;
    }

    /**
     * Appends events numbered {@code from, from + 1, …}, one stream and one transaction each, in order,
     * and answers the whole log.
     */
    private List<RecordedEvent> append(int from, int count) {
        Flux.range(from, count)
                .concatMap(n -> store.append(StreamId.of("test-" + UUID.randomUUID()), ExpectedVersion.noStream(),
                        List.of(new NewEvent(UUID.randomUUID(), "test.happened", "{\"n\": " + n + "}", "{}"))))
                .doOnNext(result -> assertThat(result).isInstanceOf(AppendResult.Appended.class))
                .blockLast(WAIT);
        // The feed may briefly hold back what commits behind another running transaction.
        return await().atMost(WAIT).until(() -> store.readLog(LogPosition.START, 1_000).collectList().block(WAIT),
                log -> log.size() == from + count);
    }

    /**
     * Uses up transaction ids (cheaply, as subtransactions) until the next one is a few below a power
     * of ten, and answers that power.
     */
    private long burnTransactionIdsToJustBelowAPowerOfTen() throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                        settings.jdbcUrl(), settings.username(), settings.password());
                Statement statement = connection.createStatement()) {
            long current;
            try (ResultSet next = statement.executeQuery("select pg_current_xact_id()::text::bigint")) {
                next.next();
                current = next.getLong(1);
            }
            long boundary = 10;
            while (boundary < current + 100) {
                boundary *= 10;
            }
            long burn = boundary - current - 6;
            statement.execute("create temporary table burn (n int)");
            statement.execute("do $$ begin for i in 1.." + burn + " loop"
                    + " begin insert into burn values (i); exception when others then null; end;"
                    + " end loop; end $$");
            return boundary;
        }
    }

    private static LogPosition positionOf(List<RecordedEvent> log, int number) {
        return log.stream().filter(e -> number(e) == number).findFirst().orElseThrow().logPosition();
    }

    /** The feed position of the last event, found without trusting the order the store answered in. */
    private static LogPosition lastOf(List<RecordedEvent> log) {
        return log.stream().map(RecordedEvent::logPosition).max(Comparator.naturalOrder()).orElseThrow();
    }

    private static int number(RecordedEvent event) {
        return Integer.parseInt(event.payloadJson().replaceAll("\\D", ""));
    }
}
