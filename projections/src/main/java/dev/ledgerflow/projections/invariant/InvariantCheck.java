package dev.ledgerflow.projections.invariant;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.projections.entry.AccountEntriesProjection;
import dev.ledgerflow.projections.projector.ProjectionCatalog;
import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.projections.projector.TableNames;
import dev.ledgerflow.projections.transaction.TransactionsProjection;
import dev.ledgerflow.projections.volume.VolumeProjection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Checks the books against the log, all in one consistent snapshot (a repeatable-read, read-only
 * transaction): double entry (per currency, every balance sums to zero), the inline balances equal a
 * fold of every event's postings, and each projection equals a replay of the events up to its own
 * checkpoint. The replays run in SQL over the whole log: a check of an operator, not of a request path.
 */
public final class InvariantCheck {

    /** Mismatches listed per check at most; the count is always complete. */
    public static final int LISTED_MAX = 20;

    private static final String POSTINGS = "jsonb_array_elements(case when jsonb_typeof(e.payload -> 'event' -> 'postings')"
            + " = 'array' then e.payload -> 'event' -> 'postings' else '[]'::jsonb end) as p (value)";
    private static final String UP_TO_CHECKPOINT = "(e.txid, e.position) <= ($1::text::xid8, $2)";

    private static final String CURRENCY_SUMS = "select currency::text as currency, sum(posted)::bigint as posted,"
            + " count(*) as accounts from account_balances group by currency order by currency";

    private static final String FOLDED = "select p.value ->> 'account_id' as account_id,"
            + " sum((p.value ->> 'posted_delta_minor')::bigint)::bigint as posted,"
            + " sum((p.value ->> 'pending_delta_minor')::bigint)::bigint as pending, count(*) as entries"
            + " from events e cross join lateral " + POSTINGS + " %s group by 1";

    private static final String BALANCES = "with folded as (" + FOLDED.formatted("") + ")"
            + " select coalesce(b.account_id, f.account_id) as id,"
            + " format('posted %s, pending %s', b.posted, b.pending) as projected,"
            + " format('posted %s, pending %s', coalesce(f.posted, 0), coalesce(f.pending, 0)) as replayed,"
            + " count(*) over () as mismatches"
            + " from account_balances b full join folded f on f.account_id = b.account_id"
            + " where b.account_id is null or b.posted <> coalesce(f.posted, 0) or b.pending <> coalesce(f.pending, 0)"
            + " order by 1 limit " + LISTED_MAX;

    /** The heads (projected balances) against the fold, and against the last entry of each account. */
    private static final String ENTRIES = "with folded as (" + FOLDED.formatted("where " + UP_TO_CHECKPOINT) + "),"
            + " last as (select distinct on (account_id) account_id, entry_no, posted_after, pending_after"
            + " from {account_entries} order by account_id, entry_no desc)"
            + " select coalesce(h.account_id, f.account_id, l.account_id) as id,"
            + " format('entries %s, posted %s, pending %s; last entry %s: posted %s, pending %s', h.entry_no, h.posted, h.pending,"
            + " l.entry_no, l.posted_after, l.pending_after) as projected,"
            + " format('entries %s, posted %s, pending %s', f.entries, f.posted, f.pending) as replayed,"
            + " count(*) over () as mismatches"
            + " from {account_heads} h full join folded f on f.account_id = h.account_id"
            + " full join last l on l.account_id = coalesce(h.account_id, f.account_id)"
            + " where h.account_id is null or f.account_id is null or l.account_id is null"
            + " or h.entry_no <> f.entries or h.posted <> f.posted or h.pending <> f.pending"
            + " or l.entry_no <> h.entry_no or l.posted_after <> h.posted or l.pending_after <> h.pending"
            + " order by 1 limit " + LISTED_MAX;

    private static final String TRANSACTIONS = "with replayed as (select distinct on (e.payload -> 'data' ->> 'id')"
            + " e.payload -> 'data' ->> 'id' as id, e.stream_version, e.payload -> 'data' as data from events e"
            + " where " + UP_TO_CHECKPOINT + " and split_part(e.type, '.', 1) in ('payment', 'refund', 'transfer', 'deposit', 'ledger_transaction')"
            + " order by e.payload -> 'data' ->> 'id', e.stream_version desc)"
            + " select coalesce(t.id, r.id) as id, format('version %s, status %s', t.version, t.status) as projected,"
            + " format('version %s, status %s', r.stream_version, r.data ->> 'status') as replayed,"
            + " count(*) over () as mismatches"
            + " from {transactions} t full join replayed r on r.id = t.id"
            + " where t.id is null or r.id is null or t.version <> r.stream_version"
            + " or t.status <> coalesce(r.data ->> 'status', 'posted') or t.amount <> (r.data ->> 'amount')::bigint"
            + " order by 1 limit " + LISTED_MAX;

    private static final String VOLUME = "with replayed as (select e.metadata ->> 'merchant' as merchant_id, g.granularity,"
            + " date_trunc(g.granularity, e.recorded_at, 'UTC') as period_start, e.payload -> 'data' ->> 'currency' as currency,"
            + " count(*) filter (where e.type = 'payment.succeeded') as count,"
            + " coalesce(sum((e.payload -> 'data' ->> 'amount_captured')::bigint) filter (where e.type = 'payment.succeeded'), 0) as gross,"
            + " count(*) filter (where e.type = 'refund.succeeded') as refund_count,"
            + " coalesce(sum((e.payload -> 'data' ->> 'amount')::bigint) filter (where e.type = 'refund.succeeded'), 0) as refunded"
            + " from events e cross join (values ('hour'), ('day')) as g (granularity)"
            + " where " + UP_TO_CHECKPOINT + " and e.type in ('payment.succeeded', 'refund.succeeded') group by 1, 2, 3, 4)"
            + " select concat_ws(' ', coalesce(v.merchant_id, r.merchant_id), coalesce(v.granularity, r.granularity),"
            + " coalesce(v.period_start, r.period_start), coalesce(v.currency, r.currency)) as id,"
            + " format('count %s, gross %s, refunds %s, refunded %s', v.count, v.gross, v.refund_count, v.refunded) as projected,"
            + " format('count %s, gross %s, refunds %s, refunded %s', r.count, r.gross, r.refund_count, r.refunded) as replayed,"
            + " count(*) over () as mismatches"
            + " from {volume} v full join replayed r using (merchant_id, granularity, period_start, currency)"
            + " where v.merchant_id is null or r.merchant_id is null or v.count <> r.count or v.gross <> r.gross"
            + " or v.refund_count <> r.refund_count or v.refunded <> r.refunded"
            + " order by 1 limit " + LISTED_MAX;

    private static final String CHECKPOINT = "select txid, position from projection_checkpoints"
            + " where projection = $1 and generation = $2";

    /** Per currency, the sum of every account's posted balance: zero under double entry. */
    public record CurrencySum(String currency, long sum, long accounts, boolean ok) {}

    /** One thing that differs: what the model holds and what the replay says. */
    public record Mismatch(String id, String projected, String replayed) {}

    /**
     * One comparison of a model with a replay of the log.
     *
     * @param upTo the last event the replay includes (the projection's checkpoint; null for the
     *     inline balances, which are compared with the whole log)
     */
    public record Comparison(String name, Integer generation, LogPosition upTo, long mismatchCount, List<Mismatch> mismatches,
            boolean ok) {}

    /** The answer of {@code /admin/invariants}. */
    public record Report(boolean ok, Instant checkedAt, List<CurrencySum> currencies, List<Comparison> comparisons) {}

    private final ConnectionFactory connections;
    private final ProjectionCatalog catalog;
    private final Clock clock;

    public InvariantCheck(ConnectionFactory connections, ProjectionCatalog catalog, Clock clock) {
        this.connections = connections;
        this.catalog = catalog;
        this.clock = clock;
    }

    public Mono<Report> check() {
        return Mono.zip(catalog.active(TransactionsProjection.NAME), catalog.active(VolumeProjection.NAME),
                        catalog.active(AccountEntriesProjection.NAME))
                .flatMap(active -> Mono.usingWhen(
                        connections.create(),
                        connection -> Mono.from(connection.beginTransaction(Sql.SNAPSHOT))
                                .then(currencySums(connection))
                                .flatMap(sums -> Flux.concat(
                                                balances(connection),
                                                projection(connection, TransactionsProjection.NAME, active.getT1(), TRANSACTIONS),
                                                projection(connection, VolumeProjection.NAME, active.getT2(), VOLUME),
                                                projection(connection, AccountEntriesProjection.NAME, active.getT3(), ENTRIES))
                                        .collectList()
                                        .map(comparisons -> new Report(
                                                sums.stream().allMatch(CurrencySum::ok) && comparisons.stream().allMatch(Comparison::ok),
                                                clock.instant(), sums, comparisons)))
                                .flatMap(report -> Mono.from(connection.commitTransaction()).thenReturn(report)),
                        Connection::close,
                        (connection, error) -> Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty())
                                .then(Mono.from(connection.close())),
                        connection -> Mono.from(connection.close())));
    }

    private static Mono<List<CurrencySum>> currencySums(Connection connection) {
        return Sql.query(connection, CURRENCY_SUMS, s -> s, row -> {
                    long sum = row.get("posted", Long.class);
                    return new CurrencySum(row.get("currency", String.class).strip(), sum, row.get("accounts", Long.class), sum == 0);
                })
                .collectList();
    }

    private static Mono<Comparison> balances(Connection connection) {
        return Sql.query(connection, BALANCES, s -> s, InvariantCheck::mismatch)
                .collectList()
                .map(found -> comparison("account_balances", null, null, found));
    }

    private static Mono<Comparison> projection(Connection connection, String name, TableNames tables, String sql) {
        return Sql.query(connection, CHECKPOINT, s -> s.bind("$1", name).bind("$2", tables.generation()),
                        row -> new LogPosition(row.get("txid", Long.class), row.get("position", Long.class)))
                .next()
                .defaultIfEmpty(LogPosition.START)
                .flatMap(checkpoint -> Sql.query(connection, tables.resolve(sql),
                                s -> s.bind("$1", Long.toString(checkpoint.txid())).bind("$2", checkpoint.position()),
                                InvariantCheck::mismatch)
                        .collectList()
                        .map(found -> comparison(name, tables.generation(), checkpoint, found)));
    }

    /** A listed mismatch and the total count of them (the same on every row). */
    private record Counted(Mismatch mismatch, long total) {}

    private static Counted mismatch(Readable row) {
        return new Counted(new Mismatch(row.get("id", String.class), text(row, "projected"), text(row, "replayed")),
                row.get("mismatches", Long.class));
    }

    private static Comparison comparison(String name, Integer generation, LogPosition upTo, List<Counted> found) {
        long total = found.isEmpty() ? 0 : found.getFirst().total();
        return new Comparison(name, generation, upTo, total, found.stream().map(Counted::mismatch).toList(), total == 0);
    }

    private static String text(Readable row, String column) {
        return row.get(column, String.class);
    }
}
