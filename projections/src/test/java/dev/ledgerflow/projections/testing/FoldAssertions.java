package dev.ledgerflow.projections.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Asserts that read model tables hold exactly what a {@link LedgerFold} of the log says. */
public final class FoldAssertions {

    private FoldAssertions() {}

    /** Volume sums and entry counts and balances: what applying an event twice (or never) would break. */
    public static void additiveModelsMatch(TestLedger ledger, LedgerFold fold, String volumeTable, String entriesTable) {
        Map<List<Object>, long[]> projected = new HashMap<>();
        for (var row : ledger.rows("select * from " + volumeTable)) {
            projected.put(List.of(row.get("merchant_id"), row.get("granularity"),
                            ((OffsetDateTime) row.get("period_start")).toInstant(), row.get("currency")),
                    new long[] {(Long) row.get("count"), (Long) row.get("gross"), (Long) row.get("refund_count"),
                            (Long) row.get("refunded")});
        }
        assertThat(projected.keySet()).containsExactlyInAnyOrderElementsOf(fold.volume.keySet());
        fold.volume.forEach((key, sums) -> assertThat(projected.get(key)).as(key.toString()).containsExactly(sums));

        Map<String, long[]> heads = new HashMap<>();
        for (var row : ledger.rows("select account_id, count(*) as n, max(entry_no) as last,"
                + " (array_agg(posted_after order by entry_no desc))[1] as posted,"
                + " (array_agg(pending_after order by entry_no desc))[1] as pending from " + entriesTable + " group by account_id")) {
            heads.put((String) row.get("account_id"), new long[] {(Long) row.get("n"), (Long) row.get("last"),
                    (Long) row.get("posted"), (Long) row.get("pending")});
        }
        assertThat(heads.keySet()).containsExactlyInAnyOrderElementsOf(fold.postings.keySet());
        fold.postings.forEach((account, postings) -> assertThat(heads.get(account)).as(account)
                .containsExactly(postings.size(), postings.size(), fold.posted.get(account), fold.pending.get(account)));
        String headsTable = entriesTable.replace("account_entries", "account_heads");
        List<Map<String, Object>> headRows = ledger.rows("select account_id, entry_no, posted, pending from " + headsTable);
        assertThat(headRows).hasSize(fold.postings.size());
        headRows.forEach(row -> assertThat(new long[] {(Long) row.get("entry_no"), (Long) row.get("posted"), (Long) row.get("pending")})
                .as("head of " + row.get("account_id"))
                .containsExactly(fold.postings.get((String) row.get("account_id")).size(),
                        fold.posted.get((String) row.get("account_id")), fold.pending.get((String) row.get("account_id"))));
    }
}
