package dev.ledgerflow.core.cluster;

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
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.testing.EmbeddedPostgresServer;
import io.r2dbc.pool.ConnectionPool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * A partitioned feed consumer whose leases are lost to a database outage, on a PostgreSQL server of
 * its own that the test stops and starts again: the coordinator stops the consumer (whose last
 * checkpoint cannot be saved then), and once the database is back the consumer runs again on its new
 * scope by itself, without a restart of anything.
 */
class PartitionedFeedOutageTest {

    static final int PARTITIONS = 4;
    static final Duration LEASE_TTL = Duration.ofMillis(1500);
    static final Duration WAIT = Duration.ofSeconds(60);
    /** A checkpoint is saved only when the consumer stops: the save that the outage makes fail. */
    static final FeedConsumer.Settings SETTINGS = new FeedConsumer.Settings(8, 1_000_000, Duration.ofHours(1),
            Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofMillis(500));

    Path data;
    int port;
    EmbeddedPostgresServer postgres;
    PostgresSettings database;
    ConnectionPool pool;
    PostgresEventStore store;
    LeaseStore leases;
    CheckpointStore checkpoints;
    LeaseCoordinator coordinator;
    FeedConsumer consumer;
    final List<RecordedEvent> handled = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        data = Files.createTempDirectory("lease-outage-postgres");
        port = freePort();
        postgres = EmbeddedPostgresServer.start(data, true, false, port);
        postgres.createDatabase("ledgerflow");
        database = postgres.settings("ledgerflow");
        SchemaMigrations.migrate(database);
        pool = PostgresConnections.pooled(database, "lease-outage-test", 8);
        store = new PostgresEventStore(pool, PostgresConnections.direct(database, "lease-outage-listen"),
                PostgresEventStore.Settings.defaults(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        leases = new LeaseStore(pool);
        checkpoints = new CheckpointStore(pool);
        consumer = new FeedConsumer("outage-consumer", store, checkpoints, event -> {
            handled.add(event);
            return Mono.empty();
        }, SETTINGS);
    }

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.close();
        }
        consumer.close();
        store.close();
        pool.dispose();
        postgres.close();
    }

    LeaseCoordinator coordinator() {
        coordinator = new LeaseCoordinator(leases, new ClusterSettings("only", "test", PARTITIONS, LEASE_TTL,
                Duration.ofMillis(300)));
        return coordinator;
    }

    @Test
    void a_consumer_stopped_by_leases_lost_to_an_outage_runs_again_on_its_new_scope_once_the_database_is_back() {
        PartitionedFeed.join(consumer, PARTITIONS, coordinator()).block(WAIT);
        await().atMost(WAIT).until(() -> owned().size() == PARTITIONS && consumer.status().running());
        RecordedEvent before = append("before");
        await().atMost(WAIT).until(() -> handledIds().contains(before.eventId()));
        assertThat(consumer.status().savedCheckpoint()).as("not saved yet: the stop's save is the one to fail")
                .isEqualTo(LogPosition.START);

        postgres.close();

        // Heartbeats fail for longer than the lease time-to-live: the coordinator stops the consumer,
        // whose save of the checkpoint of its old scope fails, and forgets what it owned.
        await().atMost(WAIT).until(() -> owned().isEmpty() && !consumer.status().running());
        assertThat(consumer.status().savedCheckpoint()).isEqualTo(LogPosition.START);

        postgres = EmbeddedPostgresServer.start(data, true, false, port);

        await().atMost(WAIT).until(() -> owned().size() == PARTITIONS && consumer.status().running());
        RecordedEvent after = append("after");
        await().atMost(WAIT).until(() -> handledIds().contains(after.eventId()));
        // What followed the last saved checkpoint is handed over again (at least once), and the new
        // scope's checkpoint is saved under the leases held now.
        assertThat(handled.stream().filter(event -> event.eventId().equals(before.eventId())).count()).isEqualTo(2);
        consumer.stop().block(WAIT);
        assertThat(leases.lowestCheckpoint(consumer.name()).block(WAIT)).isEqualTo(after.logPosition());
    }

    @Test
    void a_rescope_whose_old_checkpoint_cannot_be_saved_still_carries_on_under_the_new_scope() {
        consumer.start();
        RecordedEvent before = append("before");
        await().atMost(WAIT).until(() -> handledIds().contains(before.eventId()));
        postgres.close();

        // The stop saves the old scope's checkpoint, which fails with the database gone: the rescope
        // carries on (what followed the last saved checkpoint is handed over again) instead of failing
        // and leaving the consumer stopped on its old scope.
        consumer.rescope(checkpoints.scope(consumer.name()), true).block(WAIT);
        assertThat(consumer.status().running()).isTrue();

        postgres = EmbeddedPostgresServer.start(data, true, false, port);
        // The pool refuses to connect until its probe finds the server back.
        await().atMost(WAIT).ignoreExceptions().until(() -> Mono.usingWhen(pool.create(), c -> Mono.just(true),
                io.r2dbc.spi.Connection::close).block(WAIT));
        RecordedEvent after = append("after");
        await().atMost(WAIT).until(() -> handledIds().contains(after.eventId()));
        assertThat(handled.stream().filter(event -> event.eventId().equals(before.eventId())).count()).isEqualTo(2);
    }

    @Test
    void a_member_whose_stop_failed_in_the_outage_is_given_its_leases_again_when_the_database_is_back() {
        // Told to stop when the leases cannot be renewed, it stops but reports that saving its place
        // failed (as a feed consumer does with the database gone), every time.
        List<Assignment> told = new CopyOnWriteArrayList<>();
        LeaseCoordinator.Member member = assignment -> {
            told.add(assignment);
            return assignment.isEmpty() ? Mono.error(new IllegalStateException("the checkpoint could not be saved")) : Mono.empty();
        };
        coordinator().join("outage-group", PARTITIONS, member).block(WAIT);
        await().atMost(WAIT).until(() -> !told.isEmpty() && told.getLast().leases().size() == PARTITIONS);

        postgres.close();
        await().atMost(WAIT).until(() -> told.getLast().isEmpty());
        int toldWhileDown = told.size();

        postgres = EmbeddedPostgresServer.start(data, true, false, port);

        // The same leases come back (the heartbeat renews what this instance still owns): the member must
        // be told so, though telling it to stop failed.
        await().atMost(WAIT).until(() -> told.size() > toldWhileDown && told.getLast().leases().size() == PARTITIONS);
        assertThat(coordinator.assignments().get("outage-group").leases()).hasSize(PARTITIONS);
    }

    private java.util.Set<Integer> owned() {
        return coordinator.assignments().get(consumer.name()).leases().keySet();
    }

    private List<UUID> handledIds() {
        return handled.stream().map(RecordedEvent::eventId).toList();
    }

    private RecordedEvent append(String what) {
        UUID id = UUID.randomUUID();
        AppendResult result = store.append(StreamId.of("outage-" + UUID.randomUUID()), ExpectedVersion.noStream(),
                List.of(new NewEvent(id, "test.happened", "{\"what\": \"" + what + "\"}", "{}"))).block(WAIT);
        assertThat(result).isInstanceOf(AppendResult.Appended.class);
        return await().atMost(WAIT).until(() -> store.readLog(LogPosition.START, 1_000)
                .filter(event -> event.eventId().equals(id)).next().block(WAIT), event -> event != null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
