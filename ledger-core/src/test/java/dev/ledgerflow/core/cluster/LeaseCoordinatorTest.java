package dev.ledgerflow.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.testing.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Instances sharing the partitions of a lease group on a real PostgreSQL: fair shares, takeover, fencing. */
class LeaseCoordinatorTest {

    static final String GROUP = "test-group";
    static final int PARTITIONS = 8;
    static final Duration WAIT = Duration.ofSeconds(30);

    ConnectionPool pool;
    LeaseStore store;
    final List<LeaseCoordinator> started = new ArrayList<>();

    @BeforeEach
    void database() {
        PostgresSettings database = TestPostgres.freshDatabase();
        SchemaMigrations.migrate(database);
        pool = PostgresConnections.pooled(database, "lease-test", 8);
        store = new LeaseStore(pool);
    }

    @AfterEach
    void close() {
        started.forEach(LeaseCoordinator::close);
        pool.dispose();
    }

    /** What a member was last told it owns. */
    static final class Recorder implements LeaseCoordinator.Member {
        volatile Assignment current = Assignment.none(GROUP, PARTITIONS);

        @Override
        public Mono<Void> assign(Assignment assignment) {
            current = assignment;
            return Mono.empty();
        }

        Set<Integer> owned() {
            return current.leases().keySet();
        }
    }

    Recorder instance(String name) {
        LeaseCoordinator coordinator = new LeaseCoordinator(store, new ClusterSettings(name, "test", PARTITIONS,
                Duration.ofMillis(1500), Duration.ofMillis(300)));
        started.add(coordinator);
        Recorder member = new Recorder();
        coordinator.join(GROUP, PARTITIONS, member).block(WAIT);
        return member;
    }

    LeaseCoordinator coordinator(int index) {
        return started.get(index);
    }

    static void awaitDisjointCover(Recorder... members) {
        await().atMost(WAIT).untilAsserted(() -> {
            Set<Integer> all = new HashSet<>();
            int total = 0;
            for (Recorder member : members) {
                all.addAll(member.owned());
                total += member.owned().size();
            }
            assertThat(all).hasSize(PARTITIONS);
            assertThat(total).isEqualTo(PARTITIONS);
        });
    }

    @Test
    void one_instance_owns_every_partition() {
        Recorder a = instance("a");

        await().atMost(WAIT).until(() -> a.owned().size() == PARTITIONS);
    }

    @Test
    void a_second_instance_takes_half_and_the_first_gives_it_up() {
        Recorder a = instance("a");
        await().atMost(WAIT).until(() -> a.owned().size() == PARTITIONS);

        Recorder b = instance("b");

        await().atMost(WAIT).until(() -> a.owned().size() == 4 && b.owned().size() == 4);
        awaitDisjointCover(a, b);
    }

    @Test
    void the_partitions_of_a_crashed_instance_move_to_the_live_ones_within_the_lease_time() {
        Recorder a = instance("a");
        Recorder b = instance("b");
        Recorder c = instance("c");
        await().atMost(WAIT).until(() -> a.owned().size() + b.owned().size() + c.owned().size() == PARTITIONS
                && a.owned().size() >= 2 && b.owned().size() >= 2 && c.owned().size() >= 2);

        long haltedAt = System.nanoTime();
        coordinator(2).halt();

        awaitDisjointCover(a, b);
        Duration takeover = Duration.ofNanos(System.nanoTime() - haltedAt);
        assertThat(takeover).as("ttl 1.5 s + one heartbeat, with slack for a busy machine").isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void a_stale_owner_cannot_move_the_checkpoint_of_a_partition_taken_over() {
        Recorder a = instance("a");
        await().atMost(WAIT).until(() -> a.owned().size() == PARTITIONS);
        Assignment stale = a.current;
        coordinator(0).halt();

        Recorder b = instance("b");
        await().atMost(WAIT).until(() -> b.owned().size() == PARTITIONS);

        Set<Integer> saved = store.save(stale, "a", new LogPosition(10, 10)).block(WAIT);
        assertThat(saved).isEmpty();
        assertThat(store.save(b.current, "b", new LogPosition(5, 5)).block(WAIT)).hasSize(PARTITIONS);
        Map<Integer, LogPosition> checkpoints = new ConcurrentHashMap<>();
        store.leases().doOnNext(row -> checkpoints.put(row.partition(), row.checkpoint())).blockLast(WAIT);
        assertThat(checkpoints.values()).containsOnly(new LogPosition(5, 5));
    }

    @Test
    void an_instance_that_leaves_gives_its_partitions_back_at_once() {
        Recorder a = instance("a");
        Recorder b = instance("b");
        awaitDisjointCover(a, b);
        await().atMost(WAIT).until(() -> a.owned().size() == 4);

        coordinator(0).close();

        await().atMost(WAIT).until(() -> b.owned().size() == PARTITIONS);
    }
}
