package dev.ledgerflow.projections.projector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.projections.testing.LedgerFold;
import dev.ledgerflow.projections.testing.ProjectionFixture;
import dev.ledgerflow.projections.testing.RandomWorkload;
import dev.ledgerflow.projections.testing.TestLedger;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The read models hold exactly what an independent fold of the log in Java says they should. */
class ProjectionsMatchFoldTest {

    static TestLedger ledger;
    static ProjectionFixture fixture;
    static LedgerFold fold;

    @BeforeAll
    static void workload() {
        ledger = new TestLedger();
        fixture = new ProjectionFixture(ledger, ProjectorSettings.defaults().withPageSizes(13, 5_000)).start();
        new RandomWorkload(ledger.commands, 7).run(400);
        fixture.awaitCaughtUp();
        fold = LedgerFold.of(ledger.store);
    }

    @AfterAll
    static void close() {
        fixture.close();
        ledger.close();
    }

    @Test
    void the_transaction_view_holds_the_last_object_of_each_payment_refund_transfer_and_deposit() {
        List<Map<String, Object>> rows = ledger.rows("select id, t.type, status, amount, currency,"
                + " (e.payload -> 'data')::text as data, account_id, to_account_id, payment_id"
                + " from transactions_g1 t join events e on e.position = t.position");
        assertThat(rows).hasSize(fold.objects.size());
        assertThat(fold.typeOf.values()).contains("payment", "refund", "transfer", "deposit");
        for (Map<String, Object> row : rows) {
            String id = (String) row.get("id");
            var expected = fold.objects.get(id);
            assertThat(LedgerJson.mapper().readTree((String) row.get("data"))).as(id).isEqualTo(expected);
            assertThat(row.get("type")).isEqualTo(fold.typeOf.get(id));
            assertThat(row.get("amount")).isEqualTo(expected.get("amount").asLong());
            assertThat(row.get("currency")).isEqualTo(expected.get("currency").asString());
            String status = expected.has("status") ? expected.get("status").asString() : "posted";
            assertThat(row.get("status")).isEqualTo(status);
            switch ((String) row.get("type")) {
                case "transfer" -> {
                    assertThat(row.get("account_id")).isEqualTo(expected.get("from_account").asString());
                    assertThat(row.get("to_account_id")).isEqualTo(expected.get("to_account").asString());
                }
                case "deposit" -> assertThat(row.get("account_id")).isEqualTo(expected.get("account").asString());
                case "refund" -> {
                    String payment = expected.get("payment").asString();
                    var source = fold.objects.get(payment).get("source");
                    assertThat(row.get("payment_id")).isEqualTo(payment);
                    assertThat(row.get("account_id")).isEqualTo(source.has("account") ? source.get("account").asString() : null);
                }
                default -> {
                    var source = expected.get("source");
                    assertThat(row.get("account_id")).isEqualTo(source.has("account") ? source.get("account").asString() : null);
                }
            }
        }
    }

    @Test
    void volume_sums_what_succeeded_payments_captured_and_succeeded_refunds_returned_per_period() {
        Map<List<Object>, long[]> projected = new HashMap<>();
        for (var row : ledger.rows("select * from volume_g1")) {
            projected.put(List.of(row.get("merchant_id"), row.get("granularity"),
                            ((OffsetDateTime) row.get("period_start")).toInstant(), row.get("currency")),
                    new long[] {(Long) row.get("count"), (Long) row.get("gross"), (Long) row.get("refund_count"),
                            (Long) row.get("refunded")});
        }
        assertThat(fold.volume).isNotEmpty();
        assertThat(projected.keySet()).containsExactlyInAnyOrderElementsOf(fold.volume.keySet());
        fold.volume.forEach((key, sums) -> assertThat(projected.get(key)).as(key.toString()).containsExactly(sums));
    }

    @Test
    void account_entries_list_every_posting_with_running_balances_that_end_at_the_inline_balance() {
        assertThat(fold.postings).isNotEmpty();
        for (var account : fold.postings.entrySet()) {
            List<Map<String, Object>> entries = ledger.rows("select entry_no, posted_delta, pending_delta, posted_after,"
                    + " pending_after, created_at from account_entries_g1 where account_id = '" + account.getKey()
                    + "' order by entry_no");
            assertThat(entries).as(account.getKey()).hasSize(account.getValue().size());
            long posted = 0;
            long pending = 0;
            OffsetDateTime previous = null;
            for (int i = 0; i < entries.size(); i++) {
                var entry = entries.get(i);
                posted += account.getValue().get(i)[0];
                pending += account.getValue().get(i)[1];
                assertThat(entry.get("entry_no")).isEqualTo(i + 1L);
                assertThat(entry.get("posted_delta")).isEqualTo(account.getValue().get(i)[0]);
                assertThat(entry.get("pending_delta")).isEqualTo(account.getValue().get(i)[1]);
                assertThat(entry.get("posted_after")).isEqualTo(posted);
                assertThat(entry.get("pending_after")).isEqualTo(pending);
                OffsetDateTime at = (OffsetDateTime) entry.get("created_at");
                if (previous != null) {
                    assertThat(at).isAfterOrEqualTo(previous);
                }
                previous = at;
            }
            var inline = ledger.rows("select posted, pending from account_balances where account_id = '" + account.getKey() + "'");
            assertThat(inline.getFirst().get("posted")).isEqualTo(posted);
            assertThat(inline.getFirst().get("pending")).isEqualTo(pending);
        }
    }
}
