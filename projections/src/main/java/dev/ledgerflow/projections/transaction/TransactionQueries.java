package dev.ledgerflow.projections.transaction;

import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.projector.Binder;
import dev.ledgerflow.projections.projector.ProjectionCatalog;
import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.projections.projector.TableNames;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads the transaction view: a merchant's payments, refunds, transfers and deposits, newest first by
 * (created_at, id), filtered, paged with a cursor, or streamed whole for an export.
 *
 * <p>The cursor is the last row of the previous page: the next page holds what sorts strictly after
 * it. Rows never move in this order (created_at and id never change), so paging is stable while new
 * rows arrive: new ones sort before the pages already read, and nothing is skipped or repeated.
 */
public final class TransactionQueries {

    private static final String COLUMNS = "id, type, status, amount, currency, account_id, to_account_id, payment_id,"
            + " description, created_at, updated_at, position, ";
    /** The object after its last change: that event's public data (one primary-key lookup per row of a page). */
    private static final String DATA = "(select e.payload -> 'data' from events e where e.position = t.position)::text as data";
    /** Exports list the columns only. */
    private static final String NO_DATA = "null::text as data";
    private static final String ORDER = " order by created_at desc, id desc";
    /** Rows fetched from the server at a time while streaming an export. */
    private static final int EXPORT_FETCH_SIZE = 500;

    /**
     * What to list. Every present filter must hold.
     *
     * @param account either side of a transfer, the account of a deposit, the wallet of a payment or
     *     of its refunds
     * @param createdGte created at or after; {@code createdLt} before
     */
    public record Filter(String merchantId, Optional<String> type, Optional<String> status, Optional<String> account,
            Optional<Instant> createdGte, Optional<Instant> createdLt) {

        public Filter {
            Objects.requireNonNull(merchantId, "merchantId");
        }

        public static Filter of(String merchantId) {
            return new Filter(merchantId, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty());
        }

        public Filter withType(String value) {
            return new Filter(merchantId, Optional.of(value), status, account, createdGte, createdLt);
        }
    }

    /** Where a page starts: after this row. */
    public record Cursor(Instant createdAt, String id) {}

    /** One row of the view. {@code data} is the object's public JSON in pages, null in exports. */
    public record Row(String id, String type, String status, long amount, String currency, String accountId,
            String toAccountId, String paymentId, String description, Instant createdAt, Instant updatedAt,
            long position, String data) {}

    private final ConnectionFactory connections;
    private final ProjectionCatalog catalog;

    public TransactionQueries(ConnectionFactory connections, ProjectionCatalog catalog) {
        this.connections = connections;
        this.catalog = catalog;
    }

    /** The cursor of a merchant's row, or empty when the merchant has no row with that id. */
    public Mono<Optional<Cursor>> cursor(String merchantId, String id) {
        return catalog.read(TransactionsProjection.NAME, tables -> Sql.query(connections,
                        "select created_at, id from " + tables.table(TransactionsProjection.TABLE)
                                + " where id = $1 and merchant_id = $2",
                        s -> s.bind("$1", id).bind("$2", merchantId),
                        row -> new Cursor(row.get("created_at", OffsetDateTime.class).toInstant(), row.get("id", String.class))))
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    /** Up to {@code limit} rows after {@code after}, and whether more follow. */
    public Mono<Slice<Row>> page(Filter filter, Optional<Cursor> after, int limit) {
        return catalog.read(TransactionsProjection.NAME, tables -> {
                    Binder binder = new Binder();
                    String sql = select(tables, filter, after, Optional.of(limit + 1), binder);
                    return Sql.query(connections, sql, binder::applyTo, TransactionQueries::row);
                })
                .collectList()
                .map(rows -> Slice.of(rows, limit));
    }

    /**
     * Every row after {@code after}, streamed from the database as the subscriber asks for them: a
     * server-side cursor in one read-only, repeatable-read transaction (so the export is one consistent
     * snapshot), fetched {@value #EXPORT_FETCH_SIZE} rows at a time, each fetch only once the previous
     * rows were taken. Memory stays constant however many rows there are, and the planner, knowing it
     * plans a cursor, prefers the index order to sorting the whole set before the first row.
     */
    public Flux<Row> stream(Filter filter, Optional<Cursor> after) {
        return catalog.active(TransactionsProjection.NAME).flatMapMany(tables -> {
            Binder binder = new Binder();
            String sql = select(tables, filter, after, Optional.empty(), binder);
            return Flux.usingWhen(connections.create(),
                    connection -> Mono.from(connection.beginTransaction(Sql.SNAPSHOT))
                            .then(Sql.update(connection, "declare export no scroll cursor for " + sql, binder::applyTo))
                            .thenMany(Mono.defer(() -> Sql.query(connection, "fetch " + EXPORT_FETCH_SIZE + " from export", s -> s,
                                            TransactionQueries::row).collectList())
                                    .repeat()
                                    .takeUntil(rows -> rows.size() < EXPORT_FETCH_SIZE)
                                    .concatMapIterable(rows -> rows, 1)),
                    connection -> Mono.from(connection.commitTransaction()).then(Mono.from(connection.close())),
                    (connection, error) -> endAndClose(connection),
                    TransactionQueries::endAndClose);
        });
    }

    private static Mono<Void> endAndClose(Connection connection) {
        return Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.from(connection.close()));
    }

    /**
     * The SQL of a page (with a limit) or of an export (without), binding its parameters into
     * {@code binder}. With an account, the two sides (account_id, to_account_id) are two index scans in
     * the same order, merged: no sort of everything the account ever did.
     */
    public static String select(TableNames tables, Filter filter, Optional<Cursor> after, Optional<Integer> limit, Binder binder) {
        String table = tables.table(TransactionsProjection.TABLE);
        List<String> where = new ArrayList<>();
        where.add("merchant_id = " + binder.bind(filter.merchantId()));
        filter.type().ifPresent(type -> where.add("type = " + binder.bind(type)));
        filter.status().ifPresent(status -> where.add("status = " + binder.bind(status)));
        filter.createdGte().ifPresent(t -> where.add("created_at >= " + binder.bind(utc(t))));
        filter.createdLt().ifPresent(t -> where.add("created_at < " + binder.bind(utc(t))));
        after.ifPresent(c -> where.add("(created_at, id) < (" + binder.bind(utc(c.createdAt())) + ", " + binder.bind(c.id()) + ")"));
        String limitClause = limit.map(n -> " limit " + binder.bind(n)).orElse("");
        String conditions = String.join(" and ", where);
        String columns = COLUMNS + (limit.isPresent() ? DATA : NO_DATA);
        if (filter.account().isEmpty()) {
            return "select " + columns + " from " + table + " t where " + conditions + ORDER + limitClause;
        }
        String account = binder.bind(filter.account().get());
        return "select * from ("
                + "(select " + columns + " from " + table + " t where account_id = " + account + " and " + conditions
                + ORDER + limitClause + ")"
                + " union all "
                + "(select " + columns + " from " + table + " t where to_account_id = " + account + " and " + conditions
                + ORDER + limitClause + ")) both_sides" + ORDER + limitClause;
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Row row(Readable row) {
        return new Row(
                row.get("id", String.class),
                row.get("type", String.class),
                row.get("status", String.class),
                row.get("amount", Long.class),
                row.get("currency", String.class),
                row.get("account_id", String.class),
                row.get("to_account_id", String.class),
                row.get("payment_id", String.class),
                row.get("description", String.class),
                row.get("created_at", OffsetDateTime.class).toInstant(),
                row.get("updated_at", OffsetDateTime.class).toInstant(),
                row.get("position", Long.class),
                row.get("data", String.class));
    }
}
