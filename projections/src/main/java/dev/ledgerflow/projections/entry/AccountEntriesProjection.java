package dev.ledgerflow.projections.entry;

import dev.ledgerflow.projections.projector.Projection;
import java.util.List;

/**
 * Account entry history: one row per posting of every movement event (payment holds and captures,
 * transfers, deposits, refunds), numbered per account, with the posted and pending balances after
 * it. It answers an account's entries newest first, and its balance at any past time.
 *
 * <p>Each account's last entry is also kept in {@code account_heads}: its balances are the projected
 * balance of the account. Balances run in feed order. {@code created_at} is the event's recorded time, raised where needed
 * to the account's previous entry's, so that it never decreases along an account's entries: then the
 * last entry at or before a time is one index probe and its balances are the balance at that time.
 * (Two transactions touching one account can commit in an order that differs from their start times
 * by a few milliseconds; the raise keeps the history consistent with the order balances ran in.)
 */
public final class AccountEntriesProjection {

    public static final String NAME = "account_entries";
    public static final String TABLE = "account_entries";
    public static final String HEADS = "account_heads";

    /** Account ids compare byte by byte ({@code collate "C"}), as in the transactions table, and for the same reason. */
    static final String CREATE_TABLE = """
            create table {account_entries} (
                account_id    text        collate "C" not null,
                entry_no      bigint      not null,
                currency      text        not null,
                merchant_id   text,
                posted_delta  bigint      not null,
                pending_delta bigint      not null,
                posted_after  bigint      not null,
                pending_after bigint      not null,
                created_at    timestamptz not null,
                txid          bigint      not null,
                position      bigint      not null,
                seq           int         not null,
                event_id      uuid        not null,
                event_type    text        not null,
                object_id     text        not null,
                primary key (account_id, entry_no)
            )""";

    /** Each account's last entry: where the next page's running balances start. */
    static final String CREATE_HEADS = """
            create table {account_heads} (
                account_id text        collate "C" primary key,
                entry_no   bigint      not null,
                posted     bigint      not null,
                pending    bigint      not null,
                last_at    timestamptz not null
            )""";

    /**
     * One statement per page: the page's postings numbered and summed per account in feed order, on
     * top of each account's head; then the heads moved to the page's last entries. (All parts of one
     * statement see one snapshot, so the heads read are those from before the page. Reading the
     * heads from the entries table itself would make every lookup walk over the entries this very
     * statement has inserted, invisible to it, and cost quadratic time on busy accounts. Only the heads
     * of the page's accounts are read: joined with the whole heads table, every page would read the
     * head of every account there is.)
     */
    static final String APPEND = """
            with postings as (
                select (p.value ->> 'account_id') collate "C" as account_id, p.value ->> 'currency' as currency,
                       e.metadata ->> 'merchant' as merchant_id,
                       (p.value ->> 'posted_delta_minor')::bigint as posted_delta,
                       (p.value ->> 'pending_delta_minor')::bigint as pending_delta,
                       e.recorded_at, e.txid as feed_txid, e.txid::text::bigint as txid, e.position, p.seq::int as seq,
                       e.event_id, e.type as event_type, e.stream_id as object_id
                  from events e
                 cross join lateral jsonb_array_elements(e.payload -> 'event' -> 'postings') with ordinality as p (value, seq)
                 where %s and jsonb_typeof(e.payload -> 'event' -> 'postings') = 'array'
            ), running as (
                select q.*, row_number() over w as n, sum(q.posted_delta) over w as posted_run,
                       sum(q.pending_delta) over w as pending_run, max(q.recorded_at) over w as at_run
                  from postings q
                window w as (partition by q.account_id order by q.feed_txid, q.position, q.seq
                             rows between unbounded preceding and current row)
            ), inserted as (
                insert into {account_entries} (account_id, entry_no, currency, merchant_id, posted_delta, pending_delta,
                                               posted_after, pending_after, created_at, txid, position, seq, event_id,
                                               event_type, object_id)
                select r.account_id, coalesce(h.entry_no, 0) + r.n, r.currency, r.merchant_id, r.posted_delta,
                       r.pending_delta, coalesce(h.posted, 0) + r.posted_run, coalesce(h.pending, 0) + r.pending_run,
                       greatest(h.last_at, r.at_run), r.txid, r.position, r.seq, r.event_id, r.event_type, r.object_id
                  from running r
                  left join (select hh.* from {account_heads} hh
                              where hh.account_id in (select q.account_id from postings q)) h on h.account_id = r.account_id
                returning account_id, entry_no, posted_after, pending_after, created_at
            )
            insert into {account_heads} as h (account_id, entry_no, posted, pending, last_at)
            select distinct on (account_id) account_id, entry_no, posted_after, pending_after, created_at
              from inserted order by account_id, entry_no desc
            on conflict (account_id) do update set entry_no = excluded.entry_no, posted = excluded.posted,
                pending = excluded.pending, last_at = excluded.last_at
            """.formatted(Projection.PAGE);

    /** An account's entries at or before a time: the balance at that time. */
    static final List<String> INDEXES = List.of(
            "create index {account_entries}_account_time on {account_entries} (account_id, created_at, entry_no)");

    private AccountEntriesProjection() {}

    public static Projection definition() {
        return new Projection(NAME, List.of(TABLE, HEADS), List.of(CREATE_TABLE, CREATE_HEADS), INDEXES, List.of(APPEND));
    }
}
