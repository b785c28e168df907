package dev.ledgerflow.projections.plans;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.projections.ReadModels;
import dev.ledgerflow.projections.entry.AccountEntryQueries;
import dev.ledgerflow.projections.event.MerchantEvents;
import dev.ledgerflow.projections.projector.Binder;
import dev.ledgerflow.projections.projector.Projection;
import dev.ledgerflow.projections.projector.TableNames;
import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.TestLedger;
import dev.ledgerflow.projections.transaction.TransactionQueries;
import dev.ledgerflow.projections.volume.VolumeQueries;
import io.r2dbc.spi.Connection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The main read queries stay index lookups at millions of rows: a million transactions (half of them
 * one merchant's), a million account entries (300,000 of them one account's), half a million volume
 * rows and half a million events. Each plan is checked for its index and for the absence of sequential
 * scans and sorts, and written to {@code target/query-plans.md}.
 */
class QueryPlansTest {

    static TestLedger ledger;
    static final List<String> report = new ArrayList<>();
    static TableNames transactions;
    static TableNames entries;
    static TableNames volume;

    @BeforeAll
    static void millionsOfRows() {
        ledger = new TestLedger();
        // Creates generation 1 of every projection, with its indexes; the runners are not needed here.
        new ProjectionFixture(ledger, dev.ledgerflow.projections.projector.ProjectorSettings.defaults()).start().close();
        transactions = table("transactions");
        entries = table("account_entries");
        volume = table("volume");
        // Bulk loads go faster without the secondary indexes; they are built again after, from their definitions.
        for (var index : ledger.rows("select indexname from pg_indexes where tablename like '%_g1' and indexname not like '%pkey'")) {
            ledger.execute("drop index " + index.get("indexname"));
        }
        ledger.execute("insert into transactions_g1 (id, merchant_id, type, status, amount, currency, account_id, to_account_id,"
                + " created_at, updated_at, version, position)"
                + " select (array['pay_', 're_', 'tr_', 'dep_'])[1 + i % 4] || lpad(i::text, 26, '0'),"
                + " case when i % 2 = 0 then 'mer_hot' else 'mer_' || (i % 500) end,"
                + " (array['payment', 'refund', 'transfer', 'deposit'])[1 + i % 4],"
                + " case when i % 4 = 0 then (case when i % 1000 = 0 then 'failed' else 'succeeded' end)"
                + " when i % 4 = 1 then 'succeeded' else 'posted' end,"
                + " 1 + i % 10000, 'USD', 'acc_' || (i % 5000), case when i % 4 = 2 then 'acc_' || ((i + 7) % 5000) end,"
                + " timestamptz '2024-01-01' + i * interval '30 seconds', now(), 1, i"
                + " from generate_series(1, 1000000) as i");
        ledger.execute("insert into account_entries_g1 (account_id, entry_no, currency, merchant_id, posted_delta, pending_delta,"
                + " posted_after, pending_after, created_at, txid, position, seq, event_id, event_type, object_id)"
                + " select case when i % 10 < 3 then 'acc_hot' else 'acc_' || (i % 20000) end, i, 'USD', 'mer_hot', 1, 0, i, 0,"
                + " timestamptz '2024-01-01' + i * interval '30 seconds', i, i, 1, gen_random_uuid(), 'deposit.posted', 'dep_x'"
                + " from generate_series(1, 1000000) as i");
        ledger.execute("insert into volume_g1 (merchant_id, granularity, period_start, currency, count, gross, refund_count, refunded)"
                + " select 'mer_' || m, 'hour', timestamptz '2024-01-01' + h * interval '1 hour', 'USD', 1, 100, 0, 0"
                + " from generate_series(1, 50) as m, generate_series(0, 8759) as h");
        for (int batch = 0; batch < 100; batch++) { // 100 transactions, as a log has many
            ledger.execute("insert into events (stream_id, stream_version, event_id, type, payload, metadata)"
                    + " select 'str_' || i, 1, gen_random_uuid(), 'deposit.posted', '{}'::jsonb,"
                    + " jsonb_build_object('merchant', case when i % 2 = 0 then 'mer_hot' else 'mer_' || (i % 500) end)"
                    + " from generate_series(" + (batch * 5_000 + 1) + ", " + (batch + 1) * 5_000 + ") as i");
        }
        for (Projection projection : ReadModels.all()) {
            projection.createIndexes().forEach(sql -> ledger.execute(projection.tableNames(1).resolve(sql)));
        }
        ledger.execute("analyze");
    }

    @AfterAll
    static void writeReport() throws IOException {
        Files.writeString(Path.of("target", "query-plans.md"), String.join("\n", report));
        ledger.close();
    }

    static TableNames table(String projection) {
        Projection definition = ReadModels.all().stream().filter(p -> p.name().equals(projection)).findFirst().orElseThrow();
        return definition.tableNames(1);
    }

    @Test
    void the_newest_transactions_of_a_merchant_with_half_a_million() {
        String plan = explain("Transactions, newest first (GET /v1/transactions?limit=20)",
                binder -> TransactionQueries.select(transactions, TransactionQueries.Filter.of("mer_hot"), Optional.empty(),
                        Optional.of(21), binder));
        assertThat(plan).contains("transactions_g1_merchant_created").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    @Test
    void a_page_after_a_cursor_within_a_time_range() {
        var filter = new TransactionQueries.Filter("mer_hot", Optional.of("payment"), Optional.empty(), Optional.empty(),
                Optional.of(Instant.parse("2024-03-01T00:00:00Z")), Optional.of(Instant.parse("2024-06-01T00:00:00Z")));
        String plan = explain("Payments in a time range after a cursor (GET /v1/payments?created_gte=&created_lt=&starting_after=)",
                binder -> TransactionQueries.select(transactions, filter,
                        Optional.of(new TransactionQueries.Cursor(Instant.parse("2024-04-01T00:00:00Z"), "pay_x")),
                        Optional.of(21), binder));
        assertThat(plan).contains("transactions_g1_merchant_type_created").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    @Test
    void a_rare_status() {
        var filter = new TransactionQueries.Filter("mer_hot", Optional.of("payment"), Optional.of("failed"), Optional.empty(),
                Optional.empty(), Optional.empty());
        String plan = explain("A rare status (GET /v1/payments?status=failed)",
                binder -> TransactionQueries.select(transactions, filter, Optional.empty(), Optional.of(21), binder));
        assertThat(plan).contains("transactions_g1_merchant_status_created").doesNotContain("Seq Scan");
    }

    @Test
    void one_account_on_either_side() {
        var filter = new TransactionQueries.Filter("mer_hot", Optional.empty(), Optional.empty(), Optional.of("acc_42"),
                Optional.empty(), Optional.empty());
        String plan = explain("One account, either side of a transfer (GET /v1/transactions?account=)",
                binder -> TransactionQueries.select(transactions, filter, Optional.empty(), Optional.of(21), binder));
        assertThat(plan).contains("Merge Append").contains("transactions_g1_account_created")
                .contains("transactions_g1_to_account_created").doesNotContain("Seq Scan");
    }

    @Test
    void a_csv_export_reads_in_index_order_without_sorting() {
        var filter = TransactionQueries.Filter.of("mer_hot").withType("payment");
        String plan = explain("The export of a merchant's payments (Accept: text/csv): a cursor over 250,000 rows, no limit",
                binder -> "declare export no scroll cursor for "
                        + TransactionQueries.select(transactions, filter, Optional.empty(), Optional.empty(), binder));
        assertThat(plan).contains("transactions_g1_merchant_type_created").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    @Test
    void the_entries_of_an_account_with_300_000() {
        String plan = explain("Account entries, newest first (GET /v1/accounts/{id}/entries)", binder -> {
            binder.bind("acc_hot");
            binder.bind(Long.MAX_VALUE);
            binder.bind(21);
            return AccountEntryQueries.pageSql(entries);
        });
        assertThat(plan).contains("account_entries_g1_pkey").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    @Test
    void the_balance_of_an_account_at_a_past_time() {
        String plan = explain("Balance at a time (GET /v1/accounts/{id}/balance?at=)", binder -> {
            binder.bind("acc_hot");
            binder.bind(Instant.parse("2024-05-05T12:00:00Z").atOffset(java.time.ZoneOffset.UTC));
            return AccountEntryQueries.atSql(entries);
        });
        assertThat(plan).contains("account_entries_g1_account_time").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    @Test
    void a_month_of_hourly_volume() {
        String plan = explain("A month of hourly volume (GET /v1/reports/volume?interval=hour)",
                binder -> VolumeQueries.reportSql(volume, "mer_7", "hour", Optional.empty(), Instant.parse("2024-05-01T00:00:00Z"),
                        Instant.parse("2024-06-01T00:00:00Z"), 1001, binder));
        // About 744 rows of one index range; the planner may sort them (a millisecond) rather than walk the index.
        assertThat(plan).contains("volume_g1_pkey").doesNotContain("Seq Scan");
    }

    @Test
    void a_small_merchants_events_after_a_position() {
        var middle = ledger.rows("select txid::text as t, position from events order by position offset 250000 limit 1").getFirst();
        LogPosition after = new LogPosition(Long.parseLong((String) middle.get("t")), (Long) middle.get("position"));
        String plan = explain("A merchant's events after a position (GET /v1/events?after=, SSE replay)",
                binder -> MerchantEvents.afterSql("mer_7", after, Optional.empty(), Optional.empty(), 21, binder));
        assertThat(plan).contains("events_merchant_feed").doesNotContain("Seq Scan").doesNotContain("Sort");
    }

    private static String explain(String title, Function<Binder, String> query) {
        Binder binder = new Binder();
        String sql = query.apply(binder);
        String explain = sql.startsWith("declare") ? "explain " : "explain (analyze, buffers, costs off) ";
        List<String> lines = Flux.usingWhen(ledger.pool.create(),
                        (Connection c) -> Flux.from(c.createStatement("begin").execute()).concatMap(r -> r.getRowsUpdated())
                                .thenMany(Flux.from(binder.applyTo(c.createStatement(explain + sql)).execute()))
                                .concatMap(result -> result.map(row -> row.get(0, String.class))),
                        c -> Flux.from(c.createStatement("rollback").execute()).concatMap(r -> r.getRowsUpdated())
                                .then(Mono.from(c.close())))
                .collectList()
                .block(TestLedger.WAIT);
        String plan = String.join("\n", lines);
        synchronized (report) {
            report.add("### " + title + "\n\n```sql\n" + sql + "\n```\n\n```\n" + plan + "\n```\n");
        }
        return plan;
    }
}
