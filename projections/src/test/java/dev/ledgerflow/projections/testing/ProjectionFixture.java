package dev.ledgerflow.projections.testing;

import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.projections.ReadModels;
import dev.ledgerflow.projections.projector.PageHook;
import dev.ledgerflow.projections.projector.Projections;
import dev.ledgerflow.projections.projector.ProjectorSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Projections over a {@link TestLedger}, and the comparisons the tests make of their tables. */
public final class ProjectionFixture implements AutoCloseable {

    public final TestLedger ledger;
    public final Projections projections;

    public ProjectionFixture(TestLedger ledger, ProjectorSettings settings) {
        this(ledger, settings, PageHook.NONE);
    }

    public ProjectionFixture(TestLedger ledger, ProjectorSettings settings, PageHook hook) {
        this.ledger = ledger;
        this.projections = new Projections(ledger.pool, ledger.store.tail(), ReadModels.all(), settings, hook,
                Clock.systemUTC());
    }

    public ProjectionFixture start() {
        projections.start().block(TestLedger.WAIT);
        return this;
    }

    /** The last event of the log in feed order (everything is committed when the workload is done). */
    public LogPosition head() {
        List<Map<String, Object>> rows = ledger.rows(
                "select txid::text as last_txid, position from events order by events.txid desc, events.position desc limit 1");
        if (rows.isEmpty()) {
            return LogPosition.START;
        }
        return new LogPosition(Long.parseLong((String) rows.getFirst().get("last_txid")), (Long) rows.getFirst().get("position"));
    }

    /** Waits until every projection's active generation has applied the whole log. */
    public void awaitCaughtUp() {
        LogPosition head = head();
        await().atMost(Duration.ofSeconds(60)).until(() -> projections.names().stream().allMatch(name -> {
            var tables = projections.catalog().active(name).block(TestLedger.WAIT);
            return projections.catalog().progress(name, tables.generation()).block(TestLedger.WAIT).reached(head);
        }));
    }

    /** The active generation of a projection. */
    public int activeGeneration(String name) {
        return projections.catalog().active(name).block(TestLedger.WAIT).generation();
    }

    /** Rows of {@code a} missing from {@code b} and rows of {@code b} missing from {@code a}. */
    public List<Map<String, Object>> difference(String a, String b) {
        return ledger.rows("(select '-' as side, * from (table " + a + " except all table " + b + ") x)"
                + " union all (select '+' as side, * from (table " + b + " except all table " + a + ") y) limit 20");
    }

    @Override
    public void close() {
        projections.close();
    }
}
