package dev.ledgerflow.core.eventstore;

import java.util.Objects;

/** A new guarded balance row of a merchant's account, created in the same transaction as its first event. */
public record AccountOpening(String accountId, String currency, String merchantId, long overdraftLimitMinor) {
    public AccountOpening {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(currency, "currency");
        Objects.requireNonNull(merchantId, "merchantId");
        if (overdraftLimitMinor < 0) {
            throw new IllegalArgumentException("overdraft limit must not be negative");
        }
    }
}
