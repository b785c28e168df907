package dev.ledgerflow.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.projections.event.MerchantEvents;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/** The hub on a real event store: one slow subscriber is cut off; the others and the feed go on. */
class EventHubTest {

    PostgresEventStore store;
    ConnectionPool pool;
    EventHub hub;

    @BeforeEach
    void setUp() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "hub-test", 6);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "hub-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        hub = new EventHub(store, new MerchantEvents(pool));
        hub.start();
    }

    @AfterEach
    void tearDown() {
        hub.close();
        store.close();
        pool.dispose();
    }

    @Test
    void a_subscriber_that_takes_nothing_is_cut_off_while_the_others_receive_every_event() {
        AtomicBoolean slowCutOff = new AtomicBoolean();
        Tap slow = hub.tap(event -> true, 8, () -> slowCutOff.set(true));
        slow.events().subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                // Never asks for anything: a client that stopped reading.
            }
        });
        List<Long> fast = new CopyOnWriteArrayList<>();
        // Room for the hub's bursts (it hands out a page at once when it catches up) on a busy machine.
        Tap quick = hub.tap(event -> true, 1_000, () -> { throw new AssertionError("the fast subscriber was cut off"); });
        quick.events().subscribe(event -> fast.add(event.recorded().position()));

        int events = 120;
        for (int i = 0; i < events; i++) {
            store.append(StreamId.of("hub-" + i), ExpectedVersion.noStream(),
                    List.of(new NewEvent(UUID.randomUUID(), "test.happened", "{\"data\": {}}", "{\"merchant\": \"mer_x\"}")))
                    .block(Duration.ofSeconds(10));
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> fast.size() == events);
        assertThat(slowCutOff).isTrue();
        assertThat(slow.isDisposed()).isTrue();
        assertThat(hub.disconnectedSlow()).isEqualTo(1);
        assertThat(fast).isSorted().doesNotHaveDuplicates();
        assertThat(hub.last().position()).isEqualTo(fast.getLast());
        quick.dispose();
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.subscribers() == 0);
    }
}
