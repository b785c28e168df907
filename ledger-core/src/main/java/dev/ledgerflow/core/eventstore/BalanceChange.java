package dev.ledgerflow.core.eventstore;

import java.util.Objects;

/**
 * A change to an account's inline balance, applied in the same transaction as the events and
 * guarded there: a change may not take a guarded account's available balance
 * ({@code posted - pending + overdraft_limit}) below zero.
 *
 * @param postedDeltaMinor change of the posted balance, in minor units (negative = debit)
 * @param pendingDeltaMinor change of the pending debits (holds), in minor units (positive = new hold)
 * @param systemAccount a system account (external funding, card clearing, settlement): created on
 *     first use and never guarded
 */
public record BalanceChange(
        String accountId, String currency, long postedDeltaMinor, long pendingDeltaMinor, boolean systemAccount) {
    public BalanceChange {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(currency, "currency");
    }

    public static BalanceChange posted(String accountId, String currency, long deltaMinor) {
        return new BalanceChange(accountId, currency, deltaMinor, 0, false);
    }
}
