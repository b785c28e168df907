package dev.ledgerflow.projections.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.projections.projector.ProjectorSettings;
import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.TestLedger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How fast the projections rebuild from position zero. A measurement, run on demand:
 * {@code ./mvnw -pl projections -am test -Dtest=RebuildThroughputBenchmark -Dledger.benchmark=true
 * -Dledger.benchmark.events=1000000}. The log is synthetic but shaped like the real one: deposits,
 * transfers, card payments that succeed, refunds, each with its public object and postings.
 */
@EnabledIfSystemProperty(named = "ledger.benchmark", matches = "true")
public class RebuildThroughputBenchmark {

    @Test
    void rebuild_every_projection_from_zero() {
        int events = Integer.getInteger("ledger.benchmark.events", 1_000_000);
        int pageSize = Integer.getInteger("ledger.benchmark.page", 10_000);
        try (TestLedger ledger = new TestLedger()) {
            long loadStart = System.nanoTime();
            int perBatch = 60_000; // one transaction each, as the log has many
            for (int from = 0; from < events; from += perBatch) {
                ledger.execute(insertEvents(from / 6, Math.min(events, from + perBatch) / 6));
            }
            ledger.execute("analyze events");
            long total = (Long) ledger.rows("select count(*) as n from events").getFirst().get("n");
            System.out.printf("BENCH loaded %d events in %.1f s%n", total, (System.nanoTime() - loadStart) / 1e9);

            ProjectionFixture fixture = new ProjectionFixture(ledger,
                    ProjectorSettings.defaults().withPageSizes(1_000, pageSize).withRetiredDropDelay(Duration.ofHours(1))).start();
            fixture.awaitCaughtUp(); // generation 1 follows the log live first
            for (List<String> names : List.of(List.of("transactions"), List.of("volume"), List.of("account_entries"),
                    List.of("transactions", "volume", "account_entries"))) {
                long start = System.nanoTime();
                var generations = names.stream().map(name -> fixture.projections.rebuild(name).block(TestLedger.WAIT)).toList();
                for (var started : generations) {
                    await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(200))
                            .until(() -> fixture.activeGeneration(started.projection()) == started.generation());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("BENCH rebuild %s: %d events in %.1f s = %.0f events/s (per projection), page %d%n",
                        names, total, seconds, total / seconds, pageSize);
            }
            for (String name : fixture.projections.names()) {
                assertThat(fixture.projections.catalog().progress(name, fixture.activeGeneration(name)).block().eventsApplied())
                        .isEqualTo(total);
            }
            fixture.close();
        }
    }

    /** Six events per i: deposit, transfer, card payment created and succeeded, refund created and succeeded. */
    public static String insertEvents(int from, int to) {
        String merchant = "'mer_' || mod(i, 100)";
        String acc = "'acc_' || lpad(mod(i, 5000)::text, 26, '0')";
        String acc2 = "'acc_' || lpad(mod(i + 1, 5000)::text, 26, '0')";
        String at = "to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
        String meta = "jsonb_build_object('merchant', " + merchant + ", 'request_id', null, 'causation_id', null, 'idempotency_key', null)";
        String posting = "jsonb_build_object('currency', 'USD', 'account_id', %s, 'posted_delta_minor', %s, 'pending_delta_minor', 0)";
        String payment = "jsonb_build_object('id', 'pay_' || lpad(i::text, 26, '0'), 'amount', 1000 + mod(i, 500), 'source',"
                + " jsonb_build_object('type', 'card', 'brand', 'visa', 'last4', '4242', 'exp_year', 2030, 'exp_month', 12,"
                + " 'fingerprint', 'fp_0123456789abcdef'), 'status', %s, 'currency', 'USD', 'metadata', '{}'::jsonb, 'created_at', "
                + at + ", 'description', 'order ' || i, 'failure_code', null, 'capture_method', 'automatic',"
                + " 'amount_captured', %s, 'amount_refunded', 0)";
        String refund = "jsonb_build_object('id', 're_' || lpad(i::text, 27, '0'), 'amount', 100, 'reason', null, 'status', %s,"
                + " 'payment', 'pay_' || lpad(i::text, 26, '0'), 'currency', 'USD', 'created_at', " + at + ", 'failure_code', null)";
        String series = " from generate_series(" + from + ", " + (to - 1) + ") as i";
        String rows = String.join(series + " union all ",
                "select 'dep_' || lpad(i::text, 26, '0') as s, 1 as v, 'deposit.posted' as t, jsonb_build_object('data',"
                        + " jsonb_build_object('id', 'dep_' || lpad(i::text, 26, '0'), 'amount', 5000, 'account', " + acc
                        + ", 'currency', 'USD', 'created_at', " + at + "), 'event', jsonb_build_object('postings', jsonb_build_array("
                        + posting.formatted("'sys_funding_USD'", "-5000") + ", " + posting.formatted(acc, "5000") + "))) as p, i, 1 as o",
                "select 'tr_' || lpad(i::text, 26, '0'), 1, 'transfer.posted', jsonb_build_object('data', jsonb_build_object('id',"
                        + " 'tr_' || lpad(i::text, 26, '0'), 'amount', 100, 'status', 'posted', 'currency', 'USD', 'created_at', " + at
                        + ", 'to_account', " + acc2 + ", 'description', null, 'from_account', " + acc + "), 'event',"
                        + " jsonb_build_object('postings', jsonb_build_array(" + posting.formatted(acc, "-100") + ", "
                        + posting.formatted(acc2, "100") + "))), i, 2",
                "select 'pay_' || lpad(i::text, 26, '0'), 1, 'payment.created', jsonb_build_object('data', "
                        + payment.formatted("'processing'", "0") + ", 'event', jsonb_build_object('postings', '[]'::jsonb)), i, 3",
                "select 'pay_' || lpad(i::text, 26, '0'), 2, 'payment.succeeded', jsonb_build_object('data', "
                        + payment.formatted("'succeeded'", "1000 + mod(i, 500)") + ", 'event', jsonb_build_object('postings', jsonb_build_array("
                        + posting.formatted("'sys_card_clearing_USD'", "-(1000 + mod(i, 500))") + ", "
                        + posting.formatted("'set_mer_' || mod(i, 100) || '_USD'", "1000 + mod(i, 500)") + "))), i, 4",
                "select 'pay_' || lpad(i::text, 26, '0'), 3, 'refund.created', jsonb_build_object('data', "
                        + refund.formatted("'pending'") + ", 'event', '{}'::jsonb), i, 5",
                "select 'pay_' || lpad(i::text, 26, '0'), 4, 'refund.succeeded', jsonb_build_object('data', "
                        + refund.formatted("'succeeded'") + ", 'event', jsonb_build_object('postings', jsonb_build_array("
                        + posting.formatted("'set_mer_' || mod(i, 100) || '_USD'", "-100") + ", "
                        + posting.formatted("'sys_card_clearing_USD'", "100") + "))), i, 6") + series;
        return "insert into events (stream_id, stream_version, event_id, type, payload, metadata)"
                + " select s, v, gen_random_uuid(), t, p, " + meta.replace("mod(i, 100)", "mod(x.i, 100)") + " from (" + rows
                + ") x order by x.i, x.o";
    }
}
