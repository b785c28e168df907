package dev.ledgerflow.core.account;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads the inline balances that the event store keeps in step with every append: always current,
 * never behind the log (unlike a projection).
 */
public final class AccountBalances {

    private final ConnectionFactory connections;

    public AccountBalances(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** One balance row. {@code merchantId} is null for system accounts. */
    public record BalanceRow(
            String accountId, String merchantId, String currency, long postedMinor, long pendingMinor,
            long overdraftLimitMinor) {

        public long availableMinor() {
            return postedMinor - pendingMinor + overdraftLimitMinor;
        }
    }

    private static final String COLUMNS = "account_id, merchant_id, currency, posted, pending, overdraft_limit";

    public Mono<BalanceRow> find(String accountId) {
        return query("select " + COLUMNS + " from account_balances where account_id = $1",
                        s -> s.bind("$1", accountId))
                .next();
    }

    /** The balance rows of these accounts (those that exist), in one statement. */
    public Flux<BalanceRow> findAll(java.util.Collection<String> accountIds) {
        return query("select " + COLUMNS + " from account_balances where account_id = any($1)",
                s -> s.bind("$1", accountIds.toArray(String[]::new)));
    }

    /** The merchant's settlement balances, one per currency it has been paid in. */
    public Flux<BalanceRow> settlement(String merchantId) {
        return query("select " + COLUMNS + " from account_balances where account_id like $1 order by currency",
                s -> s.bind("$1", "set\\_" + merchantId.replace("_", "\\_") + "\\_%"));
    }

    /** Per currency, the sum of every balance; double entry keeps each at zero. */
    public Flux<CurrencySum> sumsPerCurrency() {
        return Flux.usingWhen(connections.create(),
                c -> Flux.from(c.createStatement(
                                "select currency, sum(posted)::bigint as posted from account_balances group by currency order by currency")
                        .execute())
                        .flatMap(r -> r.map(row -> new CurrencySum(
                                row.get("currency", String.class), row.get("posted", Long.class)))),
                Connection::close);
    }

    public record CurrencySum(String currency, long postedMinor) {}

    private Flux<BalanceRow> query(String sql, Function<Statement, Statement> binder) {
        return Flux.usingWhen(connections.create(),
                c -> Flux.from(binder.apply(c.createStatement(sql)).execute()).flatMap(r -> r.map(AccountBalances::row)),
                Connection::close);
    }

    private static BalanceRow row(Readable row) {
        return new BalanceRow(
                row.get("account_id", String.class),
                row.get("merchant_id", String.class),
                row.get("currency", String.class).strip(),
                row.get("posted", Long.class),
                row.get("pending", Long.class),
                row.get("overdraft_limit", Long.class));
    }
}
