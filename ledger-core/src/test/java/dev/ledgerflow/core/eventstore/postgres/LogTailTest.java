package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.Overloaded;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * One tail of the log per store: every subscriber is served from its window in memory, a subscriber
 * behind the window reads the log itself and rejoins, and a caught-up tail reads only when something
 * committed.
 */
class LogTailTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Disposable> subscriptions = new ArrayList<>();
    private PostgresEventStore store;

    private PostgresEventStore newStore(PostgresEventStore.Settings settings) {
        PostgresSettings database = TestPostgres.freshDatabase();
        ConnectionPool pool = PostgresConnections.pooled(database, "tail-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(database, "tail-test-listen"), settings,
                new SimpleMeterRegistry());
        resources.add(pool::dispose);
        resources.add(store);
        return store;
    }

    /** Pages of 10, a window of 30 events, and an idle poll long enough never to matter in a test. */
    private static PostgresEventStore.Settings smallWindow() {
        return new PostgresEventStore.Settings(500, 1, 5_000, 10, 30, Duration.ofHours(1), Duration.ofMillis(20));
    }

    @AfterEach
    void close() throws Exception {
        subscriptions.forEach(Disposable::dispose);
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
    }

    @Test
    void many_subscribers_get_every_event_in_feed_order_from_one_reader() {
        newStore(smallWindow());
        List<List<RecordedEvent>> received = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            received.add(subscribe(LogPosition.START));
        }

        for (int n = 0; n < 25; n++) {
            append("s" + n, 2);
        }

        await().atMost(WAIT).until(() -> received.stream().allMatch(events -> events.size() >= 50));
        List<RecordedEvent> log = store.readLog(LogPosition.START, 1_000).collectList().block(WAIT);
        assertThat(log).hasSize(50);
        for (List<RecordedEvent> events : received) {
            assertThat(events).extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(log.stream().map(RecordedEvent::eventId).toList());
        }
        assertThat(store.tail().reads().catchUpReads())
                .as("subscribers that started at the head never read the log themselves")
                .isLessThanOrEqualTo(8);
        assertThat(store.tail().reads().tailReads())
                .as("one reader for eight subscribers: reads follow the 25 commits, not the subscribers")
                .isLessThan(25 * 3);
    }

    @Test
    void a_subscriber_behind_the_window_reads_the_log_itself_and_then_follows_the_tail() {
        newStore(smallWindow());
        List<RecordedEvent> follower = subscribe(LogPosition.START);
        for (int n = 0; n < 40; n++) {
            append("early" + n, 2);
        }
        await().atMost(WAIT).until(() -> follower.size() >= 80);
        assertThat(store.tail().floor()).as("the window has moved past the start").isNotEqualTo(LogPosition.START);

        long catchUpBefore = store.tail().reads().catchUpReads();
        List<RecordedEvent> late = subscribe(LogPosition.START);
        await().atMost(WAIT).until(() -> late.size() >= 80);
        assertThat(store.tail().reads().catchUpReads() - catchUpBefore)
                .as("pages read from the log until the window")
                .isBetween(1L, 12L);

        long catchUpAfter = store.tail().reads().catchUpReads();
        for (int n = 0; n < 5; n++) {
            append("late" + n, 1);
        }
        await().atMost(WAIT).until(() -> late.size() >= 85 && follower.size() >= 85);
        assertThat(late).extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(follower.stream().map(RecordedEvent::eventId).toList());
        assertThat(store.tail().reads().catchUpReads())
                .as("once in the window, live events come from memory")
                .isEqualTo(catchUpAfter);
    }

    @Test
    void a_subscriber_that_stops_requesting_holds_up_neither_the_tail_nor_the_others() {
        newStore(smallWindow());
        Stalled stalled = new Stalled();
        store.subscribe(LogPosition.START).subscribe(stalled);
        subscriptions.add(stalled);
        List<RecordedEvent> others = subscribe(LogPosition.START);

        for (int n = 0; n < 30; n++) {
            append("busy" + n, 2);
        }
        await().atMost(WAIT).until(() -> others.size() >= 60);
        assertThat(stalled.received).hasSize(1);

        stalled.requestMore(1_000);
        await().atMost(WAIT).until(() -> stalled.received.size() >= 60);
        assertThat(stalled.received).extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(others.stream().map(RecordedEvent::eventId).toList());
    }

    @Test
    void a_caught_up_tail_reads_when_something_committed_not_on_a_clock() {
        newStore(smallWindow());
        List<RecordedEvent> received = subscribe(LogPosition.START);
        append("first", 1);
        await().atMost(WAIT).until(() -> received.size() >= 1);

        long readsBefore = store.tail().reads().tailReads();
        for (int n = 0; n < 20; n++) {
            append("one-by-one" + n, 1);
            int expected = n + 2;
            await().atMost(WAIT).until(() -> received.size() >= expected);
        }
        // Each commit wakes the tail (locally and by NOTIFY); a read may find the feed held back by
        // the writer's next transaction and look again soon. A tail that polled would read far more.
        assertThat(store.tail().reads().tailReads() - readsBefore).isLessThanOrEqualTo(20 * 4);
    }

    @Nested
    class Admission {

        @Test
        void appends_past_the_queue_bound_are_refused_at_once_and_write_nothing() {
            newStore(new PostgresEventStore.Settings(20, 1, 10, 500, 20_000, Duration.ofHours(1), Duration.ofMillis(20)));
            List<StreamId> streams = new ArrayList<>();
            for (int n = 0; n < 300; n++) {
                streams.add(StreamId.of("queued_" + n));
            }
            List<Object> outcomes = Flux.fromIterable(streams)
                    .flatMap(stream -> store.append(stream, ExpectedVersion.noStream(), List.of(event()))
                            .<Object>map(result -> result)
                            .onErrorResume(Overloaded.class, refused -> reactor.core.publisher.Mono.just(refused)), 300)
                    .collectList()
                    .block(WAIT);

            long appended = outcomes.stream().filter(o -> o instanceof AppendResult.Appended).count();
            long refused = outcomes.stream().filter(o -> o instanceof Overloaded).count();
            assertThat(appended + refused).isEqualTo(300);
            assertThat(refused).as("refused past 10 waiting").isPositive();
            assertThat(store.readLog(LogPosition.START, 1_000).collectList().block(WAIT))
                    .as("only what was acknowledged is in the log")
                    .hasSize((int) appended);
        }
    }

    private List<RecordedEvent> subscribe(LogPosition after) {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        subscriptions.add(store.subscribe(after).subscribe(received::add));
        return received;
    }

    private void append(String stream, int events) {
        List<NewEvent> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            batch.add(event());
        }
        AppendResult result = store.append(StreamId.of(stream + "_" + UUID.randomUUID()), ExpectedVersion.noStream(), batch)
                .block(WAIT);
        assertThat(result).isInstanceOf(AppendResult.Appended.class);
    }

    private static NewEvent event() {
        return new NewEvent(UUID.randomUUID(), "test.happened", "{\"n\":1}", "{}");
    }

    /** Takes one event, then nothing until told. */
    private static final class Stalled extends BaseSubscriber<RecordedEvent> {
        final List<RecordedEvent> received = new CopyOnWriteArrayList<>();

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(RecordedEvent value) {
            received.add(value);
        }

        void requestMore(long n) {
            request(n);
        }
    }
}
