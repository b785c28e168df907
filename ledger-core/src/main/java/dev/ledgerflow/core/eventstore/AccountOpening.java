package dev.ledgerflow.core.eventstore;

import java.util.Objects;

/** A new balance row, created in the same transaction as the account's first event. */
public record AccountOpening(String accountId, String currency, long overdraftLimitMinor) {
    public AccountOpening {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(currency, "currency");
        if (overdraftLimitMinor < 0) {
            throw new IllegalArgumentException("overdraft limit must not be negative");
        }
    }
}
