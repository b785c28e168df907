package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sweeper of expired idempotency keys on a real PostgreSQL, with the clock passed in: it deletes
 * what expired before the clock, in batches of a bounded size, oldest first, through the expiry index,
 * and counts what it deleted.
 */
class IdempotencyKeySweeperTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    private PostgresSettings database;
    private ConnectionPool pool;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void database() {
        database = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(database, "sweeper-test", 4);
    }

    @AfterEach
    void close() {
        pool.dispose();
    }

    @Test
    void a_run_deletes_at_most_its_batch_of_expired_keys_oldest_first_and_keeps_the_live_ones() throws SQLException {
        for (int i = 0; i < 25; i++) {
            insertKey("expired-" + i, NOW.minus(Duration.ofMinutes(100 - i)));
        }
        insertKey("live-soon", NOW.plusSeconds(1));
        insertKey("live-later", NOW.plus(Duration.ofHours(23)));
        IdempotencyKeySweeper sweeper = new IdempotencyKeySweeper(pool, Clock.fixed(NOW, ZoneOffset.UTC), 10, Duration.ofMinutes(1), meters);

        assertThat(sweeper.sweepOnce().block(WAIT)).isEqualTo(10);
        assertThat(keys()).hasSize(17).doesNotContain("expired-0", "expired-9").contains("expired-10");
        assertThat(sweeper.sweepOnce().block(WAIT)).isEqualTo(10);
        assertThat(sweeper.sweepOnce().block(WAIT)).isEqualTo(5);
        assertThat(sweeper.sweepOnce().block(WAIT)).isZero();

        assertThat(keys()).containsExactlyInAnyOrder("live-soon", "live-later");
        assertThat(meters.get("ledger.idempotency.keys.swept").counter().count()).isEqualTo(25);
    }

    @Test
    void a_key_expires_for_the_sweeper_when_the_clock_passes_it() throws SQLException {
        insertKey("k", NOW.plus(Duration.ofHours(1)));
        var before = new IdempotencyKeySweeper(pool, Clock.fixed(NOW, ZoneOffset.UTC), 100, Duration.ofMinutes(1), meters);
        var after = new IdempotencyKeySweeper(pool, Clock.fixed(NOW.plus(Duration.ofHours(2)), ZoneOffset.UTC), 100,
                Duration.ofMinutes(1), meters);

        assertThat(before.sweepOnce().block(WAIT)).isZero();
        assertThat(after.sweepOnce().block(WAIT)).isEqualTo(1);
        assertThat(keys()).isEmpty();
    }

    @Test
    void a_clock_ahead_of_the_database_never_sweeps_a_key_the_database_still_holds_valid() throws SQLException {
        insertKey("valid-to-the-database", Instant.now().plus(Duration.ofHours(1)));
        var fastClock = new IdempotencyKeySweeper(pool, Clock.fixed(Instant.now().plus(Duration.ofDays(2)), ZoneOffset.UTC), 100,
                Duration.ofMinutes(1), meters);

        assertThat(fastClock.sweepOnce().block(WAIT)).isZero();
        assertThat(keys()).containsExactly("valid-to-the-database");
    }

    @Test
    void started_it_keeps_sweeping_full_batches_until_none_is_left() throws Exception {
        for (int i = 0; i < 35; i++) {
            insertKey("expired-" + i, NOW.minusSeconds(60 + i));
        }
        IdempotencyKeySweeper sweeper = new IdempotencyKeySweeper(pool, Clock.fixed(NOW, ZoneOffset.UTC), 10,
                Duration.ofMillis(200), meters).start();
        try {
            org.awaitility.Awaitility.await().atMost(WAIT).until(() -> keys().isEmpty());
        } finally {
            sweeper.dispose();
        }
        assertThat(meters.get("ledger.idempotency.keys.swept").counter().count()).isEqualTo(35);
    }

    @Test
    void a_sweep_finds_its_batch_through_the_expiry_index() throws SQLException {
        try (Connection jdbc = jdbc(); Statement statement = jdbc.createStatement()) {
            statement.execute("insert into idempotency_keys (scope, key, fingerprint, response_status, response_body, expires_at)"
                    + " select 'mer_plan', 'k' || n, 'fp', 201, '{}', now() - (n || ' seconds')::interval from generate_series(1, 20000) n");
            statement.execute("analyze idempotency_keys");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rows = statement.executeQuery("explain " + IdempotencyKeySweeper.SWEEP
                    .replace("$1::timestamptz", "now()").replace("$2", "500"))) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("idempotency_keys_expiry").doesNotContain("Seq Scan on idempotency_keys");
        }
    }

    private void insertKey(String key, Instant expiresAt) throws SQLException {
        try (Connection jdbc = jdbc();
                var insert = jdbc.prepareStatement("insert into idempotency_keys (scope, key, fingerprint, response_status,"
                        + " response_body, expires_at) values ('mer_test', ?, 'fp', 201, '{}', ?)")) {
            insert.setString(1, key);
            insert.setObject(2, expiresAt.atOffset(ZoneOffset.UTC));
            insert.executeUpdate();
        }
    }

    private List<String> keys() throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Connection jdbc = jdbc(); Statement statement = jdbc.createStatement();
                ResultSet rows = statement.executeQuery("select key from idempotency_keys")) {
            while (rows.next()) {
                keys.add(rows.getString(1));
            }
        }
        return keys;
    }

    private Connection jdbc() throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
    }
}
