package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The feed is in numeric transaction id order also where ids gain a digit (9,999 → 10,000): ordered
 * as text, the 10,000s would come first and a reader paging after the last of them would skip the
 * 9,990s for ever.
 */
class FeedOrderAcrossDigitsTest {

    @Test
    void paging_the_log_across_a_power_of_ten_of_transaction_ids_misses_nothing() throws Exception {
        PostgresSettings settings = TestPostgres.freshDatabase();
        ConnectionPool pool = PostgresConnections.pooled(settings, "digits-test", 4);
        PostgresEventStore store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "digits-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        try {
            burnTransactionIdsToJustBelowAPowerOfTen(settings);
            List<UUID> appended = new ArrayList<>();
            for (int i = 0; i < 12; i++) { // one transaction each: their ids cross the power of ten
                UUID id = UUID.randomUUID();
                appended.add(id);
                store.append(StreamId.of("digits-" + i), ExpectedVersion.noStream(),
                        List.of(new NewEvent(id, "test.happened", "{}", "{}"))).block(Duration.ofSeconds(10));
            }

            List<UUID> read = new ArrayList<>();
            LogPosition after = LogPosition.START;
            while (true) {
                List<RecordedEvent> page = store.readLog(after, 2).collectList().block(Duration.ofSeconds(10));
                if (page.isEmpty()) {
                    break;
                }
                page.forEach(e -> read.add(e.eventId()));
                after = page.getLast().logPosition();
            }
            assertThat(read).containsExactlyElementsOf(appended);
        } finally {
            store.close();
            pool.dispose();
        }
    }

    /** Consumes transaction ids (as subtransactions that write) until the next id is 6 below a power of ten. */
    private static void burnTransactionIdsToJustBelowAPowerOfTen(PostgresSettings settings) throws Exception {
        try (var connection = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
                var statement = connection.createStatement()) {
            var result = statement.executeQuery("select pg_current_xact_id()::text::bigint");
            result.next();
            long current = result.getLong(1);
            long target = (long) Math.pow(10, String.valueOf(current + 6).length()) - 6;
            statement.execute("create temporary table burn (x int)");
            statement.execute("do $$ begin for i in 1.." + (target - current - 2) + " loop"
                    + " begin insert into burn values (i); exception when others then null; end; end loop; end $$");
        }
    }
}
