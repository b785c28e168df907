package dev.ledgerflow.projections.balancemonitor;

import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.projector.ProjectionCatalog;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import java.util.Optional;
import reactor.core.publisher.Mono;

/** Reads the balance monitors projection: a merchant's monitors newest first, optionally of one account. */
public final class BalanceMonitorQueries {

    private final ConnectionFactory connections;
    private final ProjectionCatalog catalog;

    public BalanceMonitorQueries(ConnectionFactory connections, ProjectionCatalog catalog) {
        this.connections = connections;
        this.catalog = catalog;
    }

    /**
     * Up to {@code limit} monitors' public objects (JSON), newest first, created before the monitor
     * {@code startingAfter} if given (ids sort by creation time).
     */
    public Mono<Slice<String>> page(String merchantId, Optional<String> accountId, Optional<String> startingAfter,
            int limit) {
        return catalog.read(BalanceMonitorsProjection.NAME, tables -> Sql.query(connections,
                        "select data::text as data from " + tables.table(BalanceMonitorsProjection.TABLE)
                                + " where merchant_id = $1 and ($2::text is null or account_id = $2)"
                                + " and ($3::text is null or id < $3) order by id desc limit $4",
                        s -> {
                            s.bind("$1", merchantId);
                            bindOrNull(s, "$2", accountId);
                            bindOrNull(s, "$3", startingAfter);
                            return s.bind("$4", limit + 1);
                        },
                        row -> row.get("data", String.class)))
                .collectList()
                .map(rows -> Slice.of(rows, limit));
    }

    private static void bindOrNull(io.r2dbc.spi.Statement statement, String name, Optional<String> value) {
        if (value.isPresent()) {
            statement.bind(name, value.get());
        } else {
            statement.bindNull(name, String.class);
        }
    }
}
