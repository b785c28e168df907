package dev.ledgerflow.core.deposit.domain;

import dev.ledgerflow.core.decider.Rejection;

/** Why a deposit is refused, in the order the decider checks. */
public enum DepositRejection implements Rejection {
    /** The amount is not within {@code 1 ≤ amount ≤ 10^12}. */
    AMOUNT_INVALID(false),
    /** The amount's currency is not the account's. */
    CURRENCY_MISMATCH(false),
    /** The stream already holds a deposit: ids are never reused. */
    DEPOSIT_EXISTS(false);

    private final boolean retryable;

    DepositRejection(boolean retryable) {
        this.retryable = retryable;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
