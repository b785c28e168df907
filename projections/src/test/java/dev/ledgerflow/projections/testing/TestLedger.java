package dev.ledgerflow.projections.testing;

import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;

/** A ledger on a fresh, migrated PostgreSQL database: pool, event store and command executor. */
public final class TestLedger implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(30);

    public final PostgresSettings settings;
    public final ConnectionPool pool;
    public final PostgresEventStore store;
    public final CommandExecutor commands;

    public TestLedger() {
        settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "projections-test", 12);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "projections-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        commands = new CommandExecutor(store);
    }

    /** Runs one SQL query and returns its rows as maps (column name to value), for assertions. */
    public List<Map<String, Object>> rows(String sql) {
        return Flux.usingWhen(pool.create(),
                        c -> Flux.from(c.createStatement(sql).execute()).flatMap(result -> result.map((row, meta) -> {
                            var out = new java.util.LinkedHashMap<String, Object>();
                            for (var column : meta.getColumnMetadatas()) {
                                out.put(column.getName(), row.get(column.getName()));
                            }
                            return (Map<String, Object>) out;
                        })),
                        Connection::close)
                .collectList()
                .block(WAIT);
    }

    /** Runs one SQL statement (bulk loads included: it may take minutes). */
    public void execute(String sql) {
        Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(sql).execute()).flatMap(r -> r.getRowsUpdated()),
                        Connection::close)
                .blockLast(Duration.ofMinutes(5));
    }

    @Override
    public void close() {
        store.close();
        pool.dispose();
    }
}
