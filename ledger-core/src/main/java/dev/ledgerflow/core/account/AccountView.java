package dev.ledgerflow.core.account;

import dev.ledgerflow.core.account.domain.AccountState;
import java.time.Instant;
import java.util.Map;

/** An account as the API shows it. */
public record AccountView(
        String id, String currency, Balance balance, long overdraftLimit, Map<String, String> metadata, Instant createdAt) {

    /** Posted balance, pending debits (holds), and what can be spent: posted − pending + overdraft limit. */
    public record Balance(long posted, long pending, long available) {
        public static Balance of(long posted, long pending, long overdraftLimit) {
            return new Balance(posted, pending, posted - pending + overdraftLimit);
        }
    }

    static AccountView opened(AccountState.Account account) {
        return of(account, 0, 0);
    }

    public static AccountView of(AccountState.Account account, long posted, long pending) {
        return new AccountView(account.accountId(), account.currency().code(),
                Balance.of(posted, pending, account.overdraftLimitMinor()), account.overdraftLimitMinor(),
                account.metadata(), account.createdAt());
    }
}
