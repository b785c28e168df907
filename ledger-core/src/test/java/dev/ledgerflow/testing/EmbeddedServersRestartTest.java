package dev.ledgerflow.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.eventstore.postgres.SchemaMigrations;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default keeps its data in a folder: a restart of its servers loses nothing. */
class EmbeddedServersRestartTest {

    @TempDir
    Path data;

    @Test
    void appended_events_survive_a_restart_of_the_embedded_postgres() {
        NewEvent event = new NewEvent(UUID.randomUUID(), "thing.happened", "{\"n\": 1}", "{}");
        StreamId stream = StreamId.of("restart_1");

        AppendResult appended = withStore(store -> store.append(stream, ExpectedVersion.noStream(), List.of(event))
                .block(Duration.ofSeconds(10)));
        List<RecordedEvent> afterRestart = withStore(store -> store.readStream(stream).collectList()
                .block(Duration.ofSeconds(10)));

        assertThat(appended).isInstanceOf(AppendResult.Appended.class);
        assertThat(afterRestart).extracting(RecordedEvent::eventId).containsExactly(event.eventId());
    }

    @Test
    void redis_data_survives_a_restart_of_the_embedded_redis_with_its_append_only_file() throws Exception {
        EmbeddedRedisServer first = EmbeddedRedisServer.start(data.resolve("redis"), true, 0);
        RedisClient client = RedisClient.create(first.url());
        try (var connection = client.connect()) {
            connection.sync().xadd("restart-stream", "k", "v");
        }
        Thread.sleep(1_200); // appendfsync everysec
        first.close();

        EmbeddedRedisServer second = EmbeddedRedisServer.start(data.resolve("redis"), true, first.port());
        try (var connection = client.connect()) {
            assertThat(connection.sync().xlen("restart-stream")).isEqualTo(1);
        } finally {
            client.shutdown();
            second.close();
        }
    }

    private <T> T withStore(Function<PostgresEventStore, T> work) {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(data.resolve("postgres"), true, true, 0);
        try {
            server.createDatabase("ledgerflow");
            PostgresSettings settings = server.settings("ledgerflow");
            SchemaMigrations.migrate(settings);
            var pool = PostgresConnections.pooled(settings, "restart-test", 2);
            try (var store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "restart-listen"),
                    PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry())) {
                return work.apply(store);
            } finally {
                pool.dispose();
            }
        } finally {
            server.close();
        }
    }
}
