package dev.ledgerflow.projections.volume;

import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.projector.Binder;
import dev.ledgerflow.projections.projector.ProjectionCatalog;
import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.projections.projector.TableNames;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import reactor.core.publisher.Mono;

/** Reads volume reports: one row per period and currency, oldest period first. */
public final class VolumeQueries {

    /** One period of one currency. */
    public record Row(Instant periodStart, String currency, long count, long gross, long refundCount, long refunded) {
        public long net() {
            return gross - refunded;
        }
    }

    private final ConnectionFactory connections;
    private final ProjectionCatalog catalog;

    public VolumeQueries(ConnectionFactory connections, ProjectionCatalog catalog) {
        this.connections = connections;
        this.catalog = catalog;
    }

    /**
     * The periods of {@code granularity} ({@code hour} or {@code day}) that start in [from, to), at
     * most {@code limit} of them.
     */
    public Mono<Slice<Row>> report(String merchantId, String granularity, Optional<String> currency, Instant from, Instant to,
            int limit) {
        return catalog.read(VolumeProjection.NAME, tables -> {
                    Binder binder = new Binder();
                    String sql = reportSql(tables, merchantId, granularity, currency, from, to, limit + 1, binder);
                    return Sql.query(connections, sql, binder::applyTo, VolumeQueries::row);
                })
                .collectList()
                .map(rows -> Slice.of(rows, limit));
    }

    /** The SQL of a report, binding its parameters into {@code binder}. */
    public static String reportSql(TableNames tables, String merchantId, String granularity, Optional<String> currency,
            Instant from, Instant to, int limit, Binder binder) {
        return "select period_start, currency, count, gross, refund_count, refunded from "
                + tables.table(VolumeProjection.TABLE)
                + " where merchant_id = " + binder.bind(merchantId)
                + " and granularity = " + binder.bind(granularity)
                + " and period_start >= " + binder.bind(from.atOffset(ZoneOffset.UTC))
                + " and period_start < " + binder.bind(to.atOffset(ZoneOffset.UTC))
                + currency.map(c -> " and currency = " + binder.bind(c)).orElse("")
                + " order by period_start, currency limit " + binder.bind(limit);
    }

    private static Row row(Readable row) {
        return new Row(row.get("period_start", OffsetDateTime.class).toInstant(), row.get("currency", String.class),
                row.get("count", Long.class), row.get("gross", Long.class), row.get("refund_count", Long.class),
                row.get("refunded", Long.class));
    }
}
