package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.EventStoreContract;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** The event store contract, and group commit, on a real PostgreSQL. */
class PostgresEventStoreTest extends EventStoreContract {

    private final List<AutoCloseable> resources = new ArrayList<>();
    private PostgresEventStore postgresStore;

    @Override
    protected EventStore newStore() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        ConnectionPool pool = PostgresConnections.pooled(settings, "store-test", 10);
        postgresStore = new PostgresEventStore(
                pool, PostgresConnections.direct(settings, "store-test-listen"), PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        resources.add(postgresStore);
        resources.add(pool::dispose);
        return postgresStore;
    }

    @AfterEach
    void closeResources() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
    }

    @Nested
    class GroupCommitOnPostgres {

        @Test
        void concurrent_appends_share_few_transactions_and_each_keeps_its_own_outcome() {
            StreamId contested = newStreamId();
            append(contested, ExpectedVersion.noStream(), event(0));
            long batchesBefore = postgresStore.groupCommitStats().batches();

            List<AppendResult> results = Flux.range(0, 400)
                    .flatMap(n -> n % 100 == 0
                            ? store.append(contested, ExpectedVersion.noStream(), List.of(event(n)))
                            : store.append(newStreamId(), ExpectedVersion.noStream(), List.of(event(n))), 400)
                    .collectList()
                    .block(Duration.ofSeconds(30));

            assertThat(results).filteredOn(r -> r instanceof AppendResult.Appended).hasSize(396);
            assertThat(results).filteredOn(r -> r instanceof AppendResult.VersionConflict).hasSize(4);
            long batches = postgresStore.groupCommitStats().batches() - batchesBefore;
            assertThat(batches).as("transactions for 400 concurrent appends").isLessThan(100);
        }
    }
}
