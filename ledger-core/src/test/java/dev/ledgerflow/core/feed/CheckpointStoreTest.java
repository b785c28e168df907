package dev.ledgerflow.core.feed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.testing.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checkpoints of named feed consumers on a real PostgreSQL. */
class CheckpointStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static ConnectionPool pool;
    private static CheckpointStore checkpoints;

    @BeforeAll
    static void setUp() {
        pool = PostgresConnections.pooled(TestPostgres.freshDatabase(), "checkpoint-test", 4);
        checkpoints = new CheckpointStore(pool);
    }

    @AfterAll
    static void tearDown() {
        pool.dispose();
    }

    @Test
    void a_consumer_without_a_checkpoint_starts_at_the_beginning() {
        assertThat(checkpoints.load("never-saved").block(WAIT)).isEqualTo(LogPosition.START);
    }

    @Test
    void a_saved_checkpoint_is_loaded_back() {
        checkpoints.save("saved", new LogPosition(742, 17)).block(WAIT);

        assertThat(checkpoints.load("saved").block(WAIT)).isEqualTo(new LogPosition(742, 17));
    }

    @Test
    void a_save_never_moves_a_checkpoint_backwards() {
        checkpoints.save("forward-only", new LogPosition(900, 40)).block(WAIT);
        checkpoints.save("forward-only", new LogPosition(900, 39)).block(WAIT);
        checkpoints.save("forward-only", new LogPosition(899, 99)).block(WAIT);

        assertThat(checkpoints.load("forward-only").block(WAIT)).isEqualTo(new LogPosition(900, 40));
    }

    @Test
    void a_reset_moves_a_checkpoint_anywhere_for_a_replay() {
        checkpoints.save("replayed", new LogPosition(900, 40)).block(WAIT);
        checkpoints.reset("replayed", LogPosition.START).block(WAIT);

        assertThat(checkpoints.load("replayed").block(WAIT)).isEqualTo(LogPosition.START);
    }
}
