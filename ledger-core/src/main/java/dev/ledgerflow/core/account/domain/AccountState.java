package dev.ledgerflow.core.account.domain;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Map;

/**
 * An account as its stream tells it. Balances are not here: they live in the store's inline balance
 * table, which the append transaction updates and guards, and in the balance projection.
 */
public sealed interface AccountState {

    /** No account on this stream yet. */
    record NoAccount() implements AccountState {}

    /** An open account. */
    record Account(
            String accountId,
            String merchantId,
            CurrencyCode currency,
            long overdraftLimitMinor,
            Map<String, String> metadata,
            Instant createdAt)
            implements AccountState {}
}
