package dev.ledgerflow.core.account.domain;

import dev.ledgerflow.core.decider.Rejection;

/** Why an account command is refused, in the order the decider checks. */
public enum AccountRejection implements Rejection {
    /** The overdraft limit is negative or above 10^12 minor units. */
    OVERDRAFT_LIMIT_INVALID(false),
    /** The stream already holds an account: ids are never reused. */
    ACCOUNT_EXISTS(false);

    private final boolean retryable;

    AccountRejection(boolean retryable) {
        this.retryable = retryable;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
