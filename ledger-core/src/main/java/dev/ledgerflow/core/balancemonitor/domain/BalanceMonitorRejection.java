package dev.ledgerflow.core.balancemonitor.domain;

import dev.ledgerflow.core.decider.Rejection;

/** Why a balance monitor command is refused, in the order the decider checks. */
public enum BalanceMonitorRejection implements Rejection {
    /** The threshold is outside {@code -10^12 ≤ threshold ≤ 10^12}. */
    THRESHOLD_INVALID(false),
    /** The hysteresis is outside {@code 0 ≤ hysteresis ≤ 10^12}. */
    HYSTERESIS_INVALID(false),
    /** No such account, or not the merchant's (another merchant's id answers as unknown). */
    ACCOUNT_NOT_FOUND(false),
    /** The currency stated for the threshold is not the account's. */
    CURRENCY_MISMATCH(false),
    /** The stream already holds a monitor: ids are never reused. */
    BALANCE_MONITOR_EXISTS(false),
    /** Delete or observe of a stream that holds no monitor. */
    BALANCE_MONITOR_NOT_FOUND(false),
    /** Delete of a monitor deleted already. */
    ALREADY_DELETED(false);

    private final boolean retryable;

    BalanceMonitorRejection(boolean retryable) {
        this.retryable = retryable;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
