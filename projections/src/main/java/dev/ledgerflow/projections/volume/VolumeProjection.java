package dev.ledgerflow.projections.volume;

import dev.ledgerflow.projections.projector.Projection;
import java.util.List;

/**
 * Payment volume per merchant, currency and UTC hour and day: how many payments succeeded and what
 * they captured ({@code gross}), how many refunds succeeded and what they returned ({@code refunded}).
 * Money counts in the period in which it moved: a capture when {@code payment.succeeded} was
 * recorded, a refund when {@code refund.succeeded} was.
 *
 * <p>Rows are sums, so applying an event twice would double it: the page transaction, which moves the
 * checkpoint together with the sums, is what makes each event count exactly once.
 */
public final class VolumeProjection {

    public static final String NAME = "volume";
    public static final String TABLE = "volume";

    static final String CREATE_TABLE = """
            create table {volume} (
                merchant_id  text        not null,
                granularity  text        not null check (granularity in ('hour', 'day')),
                period_start timestamptz not null,
                currency     text        not null,
                count        bigint      not null,
                gross        bigint      not null,
                refund_count bigint      not null,
                refunded     bigint      not null,
                primary key (merchant_id, granularity, period_start, currency)
            )""";

    static final String ADD = "insert into {volume} as v"
            + " (merchant_id, granularity, period_start, currency, count, gross, refund_count, refunded)"
            + " select e.metadata ->> 'merchant', g.granularity, date_trunc(g.granularity, e.recorded_at, 'UTC'),"
            + " e.payload -> 'data' ->> 'currency',"
            + " count(*) filter (where e.type = 'payment.succeeded'),"
            + " coalesce(sum((e.payload -> 'data' ->> 'amount_captured')::bigint) filter (where e.type = 'payment.succeeded'), 0),"
            + " count(*) filter (where e.type = 'refund.succeeded'),"
            + " coalesce(sum((e.payload -> 'data' ->> 'amount')::bigint) filter (where e.type = 'refund.succeeded'), 0)"
            + " from events e cross join (values ('hour'), ('day')) as g (granularity)"
            + " where " + Projection.PAGE + " and e.type in ('payment.succeeded', 'refund.succeeded')"
            + " group by 1, 2, 3, 4"
            + " on conflict (merchant_id, granularity, period_start, currency) do update"
            + " set count = v.count + excluded.count, gross = v.gross + excluded.gross,"
            + " refund_count = v.refund_count + excluded.refund_count, refunded = v.refunded + excluded.refunded";

    private VolumeProjection() {}

    public static Projection definition() {
        // The primary key serves the report (merchant, granularity, time range, currency).
        return new Projection(NAME, List.of(TABLE), List.of(CREATE_TABLE), List.of(), List.of(ADD));
    }
}
