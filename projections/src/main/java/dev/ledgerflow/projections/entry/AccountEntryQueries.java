package dev.ledgerflow.projections.entry;

import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.projector.ProjectionCatalog;
import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.projections.projector.TableNames;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import reactor.core.publisher.Mono;

/** Reads account entry history: entries newest first, and balances at a past time. */
public final class AccountEntryQueries {

    private static final String COLUMNS = "account_id, entry_no, currency, posted_delta, pending_delta, posted_after,"
            + " pending_after, created_at, position, seq, event_id, event_type, object_id";

    /** One posting on one account, with the balances after it. */
    public record Entry(String accountId, long entryNo, String currency, long postedDelta, long pendingDelta,
            long postedAfter, long pendingAfter, Instant createdAt, long position, int seq, UUID eventId,
            String eventType, String objectId) {}

    private final ConnectionFactory connections;
    private final ProjectionCatalog catalog;

    public AccountEntryQueries(ConnectionFactory connections, ProjectionCatalog catalog) {
        this.connections = connections;
        this.catalog = catalog;
    }

    /** Up to {@code limit} entries of an account, newest first, older than entry {@code beforeEntryNo} if given. */
    public Mono<Slice<Entry>> page(String accountId, Optional<Long> beforeEntryNo, int limit) {
        return catalog.read(AccountEntriesProjection.NAME, tables -> Sql.query(connections,
                        pageSql(tables),
                        s -> s.bind("$1", accountId).bind("$2", beforeEntryNo.orElse(Long.MAX_VALUE)).bind("$3", limit + 1),
                        AccountEntryQueries::entry))
                .collectList()
                .map(rows -> Slice.of(rows, limit));
    }

    /** The last entry of an account at or before {@code at}: its balances are the account's balance then. */
    public Mono<Optional<Entry>> lastAtOrBefore(String accountId, Instant at) {
        return catalog.read(AccountEntriesProjection.NAME, tables -> Sql.query(connections,
                        atSql(tables),
                        s -> s.bind("$1", accountId).bind("$2", at.atOffset(ZoneOffset.UTC)),
                        AccountEntryQueries::entry))
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    /** Entries of account $1 numbered below $2, newest first, $3 of them. */
    public static String pageSql(TableNames tables) {
        return "select " + COLUMNS + " from " + tables.table(AccountEntriesProjection.TABLE)
                + " where account_id = $1 and entry_no < $2 order by entry_no desc limit $3";
    }

    /** The last entry of account $1 at or before time $2. */
    public static String atSql(TableNames tables) {
        return "select " + COLUMNS + " from " + tables.table(AccountEntriesProjection.TABLE)
                + " where account_id = $1 and created_at <= $2 order by created_at desc, entry_no desc limit 1";
    }

    private static Entry entry(Readable row) {
        return new Entry(row.get("account_id", String.class), row.get("entry_no", Long.class), row.get("currency", String.class),
                row.get("posted_delta", Long.class), row.get("pending_delta", Long.class), row.get("posted_after", Long.class),
                row.get("pending_after", Long.class), row.get("created_at", OffsetDateTime.class).toInstant(),
                row.get("position", Long.class), row.get("seq", Integer.class), row.get("event_id", UUID.class),
                row.get("event_type", String.class), row.get("object_id", String.class));
    }
}
