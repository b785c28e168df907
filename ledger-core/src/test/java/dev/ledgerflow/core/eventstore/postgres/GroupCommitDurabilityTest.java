package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.EmbeddedPostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An append is acknowledged only once PostgreSQL has committed its batch, never on the batch's rows
 * alone: not while the commit waits, not when the commit is refused, not when the connection dies at
 * the commit. Each case puts the failure after the batch's statement has answered, where an
 * acknowledgement on rows and {@code CommandComplete} would be wrong.
 *
 * <p>The commit is held by a durable server whose {@code synchronous_standby_names} names a standby
 * that never comes: each commit waits ({@code SyncRep}) after its WAL is flushed, until the setting is
 * cleared. A deferred constraint trigger, which PostgreSQL runs at commit, refuses a commit or
 * terminates its backend.
 */
class GroupCommitDurabilityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private EmbeddedPostgresServer server;
    private PostgresSettings settings;
    private ConnectionPool pool;
    private PostgresEventStore store;

    @BeforeEach
    void durableServerWithCommitsHeld() throws Exception {
        server = EmbeddedPostgresServer.start(Files.createTempDirectory("group-commit-durability"), false, true, 0);
        server.createDatabase("ledger");
        settings = server.settings("ledger");
        SchemaMigrations.migrate(settings);
        pool = PostgresConnections.pooled(settings, "durability-test", 4);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "durability-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        if (store != null) {
            store.close();
        }
        if (pool != null) {
            pool.dispose();
        }
        server.close();
    }

    @Test
    void an_append_is_acknowledged_only_after_its_commit_is_answered() throws Exception {
        holdCommits("'phantom_standby'");

        StreamId stream = StreamId.of("durable_" + UUID.randomUUID());
        CompletableFuture<AppendResult> acknowledged = store.append(stream, ExpectedVersion.noStream(), List.of(event()))
                .toFuture();

        // The positive signal: the batch's statement has run and its COMMIT is flushed and waiting.
        await().atMost(WAIT).until(() -> backendsWaitingForCommit() == 1);
        assertThat(acknowledged).as("acknowledged while the commit had not been answered").isNotDone();

        holdCommits("''");
        AppendResult result = acknowledged.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(result).isInstanceOf(AppendResult.Appended.class);
        assertThat(store.readStream(stream).collectList().block(WAIT)).hasSize(1);
    }

    @Test
    void an_append_whose_commit_fails_after_its_rows_were_sent_is_not_acknowledged() throws Exception {
        atCommitOf("test.refused_at_commit", "raise exception 'refused at commit';");
        StreamId refused = StreamId.of("refused_" + UUID.randomUUID());

        assertThatThrownBy(() -> store.append(refused, ExpectedVersion.noStream(), List.of(event("test.refused_at_commit")))
                        .block(WAIT))
                .as("an append its commit refused must fail, never answer appended")
                .hasMessageContaining("refused at commit");
        assertThat(stored(refused)).isZero();

        StreamId fine = StreamId.of("fine_" + UUID.randomUUID());
        assertThat(store.append(fine, ExpectedVersion.noStream(), List.of(event())).block(WAIT))
                .isInstanceOf(AppendResult.Appended.class);
    }

    @Test
    void an_append_whose_connection_dies_at_commit_after_its_rows_were_sent_is_not_acknowledged() throws Exception {
        // The transaction is rolled back and the connection closed, as when PostgreSQL is killed then.
        atCommitOf("test.dies_at_commit", "perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(5); return null;");
        StreamId dying = StreamId.of("dying_" + UUID.randomUUID());

        assertThatThrownBy(() -> store.append(dying, ExpectedVersion.noStream(), List.of(event("test.dies_at_commit"))).block(WAIT))
                .as("an append whose commit never happened must fail, never answer appended");
        assertThat(stored(dying)).as("nothing of the rolled-back batch is stored").isZero();
    }

    /**
     * Runs {@code body} (PL/pgSQL) at the commit of every transaction that appended an event of {@code
     * type}: a deferred constraint trigger, which PostgreSQL fires after the batch's statement has
     * answered its rows.
     */
    private void atCommitOf(String type, String body) throws SQLException {
        try (Connection connection = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
                var statement = connection.createStatement()) {
            statement.execute("create function at_commit() returns trigger language plpgsql as $$ begin " + body + " end $$");
            statement.execute("create constraint trigger at_commit after insert on events deferrable initially deferred"
                    + " for each row when (new.type = '" + type + "') execute function at_commit()");
        }
    }

    /** Events of the stream in the table, looked at on a connection of its own (the pool may hold a dead one). */
    private long stored(StreamId stream) throws SQLException {
        try (Connection connection = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
                var statement = connection.prepareStatement("select count(*) from events where stream_id = ?")) {
            statement.setString(1, stream.value());
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private void holdCommits(String standbys) throws SQLException {
        try (Connection connection = admin(); var statement = connection.createStatement()) {
            statement.execute("alter system set synchronous_standby_names = " + standbys);
            statement.execute("select pg_reload_conf()");
        }
        // The reload is asynchronous: wait until this server's backends see the setting.
        await().atMost(WAIT).until(() -> {
            try (Connection connection = admin(); var statement = connection.createStatement();
                    var rows = statement.executeQuery("show synchronous_standby_names")) {
                rows.next();
                return ("'" + rows.getString(1) + "'").equals(standbys);
            }
        });
    }

    private long backendsWaitingForCommit() throws SQLException {
        try (Connection connection = admin(); var statement = connection.createStatement();
                var rows = statement.executeQuery(
                        "select count(*) from pg_stat_activity where wait_event = 'SyncRep' and datname = 'ledger'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private Connection admin() throws SQLException {
        PostgresSettings postgres = server.settings("postgres");
        return DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
    }

    private static NewEvent event() {
        return event("test.recorded");
    }

    private static NewEvent event(String type) {
        return new NewEvent(UUID.randomUUID(), type, "{\"event\":{},\"data\":{\"n\":1}}", "{\"merchant\":\"mer_a\"}");
    }
}
