package dev.ledgerflow.core.transfer.domain;

import dev.ledgerflow.core.decider.Rejection;

/** Why a transfer is refused, in the order it is checked. */
public enum TransferRejection implements Rejection {
    /** The amount is not within {@code 1 ≤ amount ≤ 10^12}. */
    AMOUNT_INVALID(false),
    /** From and to are the same account. */
    SAME_ACCOUNT(false),
    /** Either account's currency differs from the amount's: cross-currency moves are rejected. */
    CURRENCY_MISMATCH(false),
    /** The stream already holds a transfer: ids are never reused. */
    TRANSFER_EXISTS(false),
    /**
     * The from-account would go below its overdraft limit. Never returned by {@code decide}: balances
     * live in the store, whose guard rejects the debit atomically at append time, even under many
     * concurrent debits; the shell maps that answer ({@code AppendResult.InsufficientFunds}) to this
     * value. Retryable: a deposit may make the same transfer possible.
     */
    INSUFFICIENT_FUNDS(true);

    private final boolean retryable;

    TransferRejection(boolean retryable) {
        this.retryable = retryable;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
