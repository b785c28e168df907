package dev.ledgerflow.projections.balancemonitor;

import dev.ledgerflow.projections.projector.Projection;
import java.util.List;

/**
 * Balance monitors: one row per monitor with its state ({@code armed}, {@code triggered}, {@code
 * deleted}), how often it fired, and its latest public object ({@code data}), folded from its
 * {@code balance_monitor.*} events. It answers {@code GET /v1/balance-monitors}; like every
 * projection it is rebuilt from position zero equal to the live one.
 *
 * <p>A row changes only to a higher stream version, so a page that holds several events of one
 * monitor keeps the last, and a monitor's state can never move back.
 */
public final class BalanceMonitorsProjection {

    public static final String NAME = "balance_monitors";
    public static final String TABLE = "balance_monitors";

    static final String CREATE_TABLE = """
            create table {balance_monitors} (
                id            text        collate "C" primary key,
                merchant_id   text        collate "C" not null,
                account_id    text        collate "C" not null,
                state         text        not null,
                trigger_count bigint      not null,
                data          jsonb       not null,
                created_at    timestamptz not null,
                updated_at    timestamptz not null,
                version       bigint      not null,
                position      bigint      not null
            )""";

    private static final String ID = "(e.payload -> 'data' ->> 'id') collate \"C\"";

    static final String UPSERT = "insert into {balance_monitors} as m (id, merchant_id, account_id, state, trigger_count,"
            + " data, created_at, updated_at, version, position)"
            + " select distinct on (" + ID + ")"
            + " e.payload -> 'data' ->> 'id', e.metadata ->> 'merchant', e.payload -> 'data' ->> 'account',"
            + " e.payload -> 'data' ->> 'state', (e.payload -> 'data' ->> 'trigger_count')::bigint, e.payload -> 'data',"
            + " (e.payload -> 'data' ->> 'created_at')::timestamptz, (e.payload -> 'data' ->> 'updated_at')::timestamptz,"
            + " e.stream_version, e.position"
            + " from events e where " + Projection.PAGE
            + " and e.type in ('balance_monitor.created', 'balance_monitor.triggered', 'balance_monitor.rearmed',"
            + " 'balance_monitor.deleted')"
            + " order by " + ID + ", e.stream_version desc"
            + " on conflict (id) do update set state = excluded.state, trigger_count = excluded.trigger_count,"
            + " data = excluded.data, updated_at = excluded.updated_at, version = excluded.version,"
            + " position = excluded.position"
            + " where m.version < excluded.version";

    /** Listing: a merchant's monitors newest first (ids sort by creation time), or one account's. */
    static final List<String> INDEXES = List.of(
            "create index {balance_monitors}_merchant_id on {balance_monitors} (merchant_id, id)",
            "create index {balance_monitors}_account_id on {balance_monitors} (account_id, id)");

    private BalanceMonitorsProjection() {}

    public static Projection definition() {
        return new Projection(NAME, List.of(TABLE), List.of(CREATE_TABLE), INDEXES, List.of(UPSERT));
    }
}
