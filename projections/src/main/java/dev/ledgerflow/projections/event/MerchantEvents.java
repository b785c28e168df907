package dev.ledgerflow.projections.event;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.projections.projector.Binder;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A merchant's slice of the event log, in feed order and bounded like the feed (only events below the
 * oldest running transaction), so that paging through it with {@code after} never skips an event that
 * commits late. Served by the index {@code events_merchant_feed}.
 */
public final class MerchantEvents {

    private static final String COLUMNS = "position, txid::text as event_txid, stream_id, stream_version, event_id, type,"
            + " payload::text as payload, metadata::text as metadata, recorded_at";
    private static final String HEAD = "select txid::text as last_txid, position from events"
            + " where txid < pg_snapshot_xmin(pg_current_snapshot()) order by events.txid desc, events.position desc limit 1";

    private final ConnectionFactory connections;

    public MerchantEvents(ConnectionFactory connections) {
        this.connections = connections;
    }

    /**
     * Up to {@code limit} of the merchant's events after {@code after} (and up to and including
     * {@code upTo} if given), of one type if given, in feed order.
     */
    public Flux<RecordedEvent> after(String merchantId, LogPosition after, Optional<LogPosition> upTo, Optional<String> type,
            int limit) {
        Binder binder = new Binder();
        String sql = afterSql(merchantId, after, upTo, type, limit, binder);
        return Sql.query(connections, sql, binder::applyTo, MerchantEvents::event);
    }

    /** The SQL of {@link #after}, binding its parameters into {@code binder}. */
    public static String afterSql(String merchantId, LogPosition after, Optional<LogPosition> upTo, Optional<String> type,
            int limit, Binder binder) {
        return "select " + COLUMNS + " from events where (metadata ->> 'merchant') = " + binder.bind(merchantId)
                + " and (txid, position) > (" + binder.bind(Long.toString(after.txid())) + "::text::xid8, "
                + binder.bind(after.position()) + ")"
                + " and txid < pg_snapshot_xmin(pg_current_snapshot())"
                + upTo.map(last -> " and (txid, position) <= (" + binder.bind(Long.toString(last.txid())) + "::text::xid8, "
                        + binder.bind(last.position()) + ")").orElse("")
                + type.map(t -> " and type = " + binder.bind(t)).orElse("")
                + " order by events.txid, events.position limit " + binder.bind(limit);
    }

    /** The last event of the feed (that no running transaction can still precede), or the start. */
    public Mono<LogPosition> head() {
        return Sql.query(connections, HEAD, s -> s, row -> new LogPosition(
                        Long.parseLong(row.get("last_txid", String.class)), row.get("position", Long.class)))
                .next()
                .defaultIfEmpty(LogPosition.START);
    }

    private static RecordedEvent event(Readable row) {
        return new RecordedEvent(
                new LogPosition(Long.parseLong(row.get("event_txid", String.class)), row.get("position", Long.class)),
                StreamId.of(row.get("stream_id", String.class)),
                row.get("stream_version", Long.class),
                row.get("event_id", UUID.class),
                row.get("type", String.class),
                row.get("payload", String.class),
                row.get("metadata", String.class),
                row.get("recorded_at", OffsetDateTime.class).toInstant());
    }
}
