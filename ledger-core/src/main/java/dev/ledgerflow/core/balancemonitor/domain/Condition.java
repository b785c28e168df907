package dev.ledgerflow.core.balancemonitor.domain;

import java.util.Objects;

/**
 * When a monitor fires: a balance of its account ({@link Field}) crossing a threshold ({@link
 * Operator}), and how far back across it the balance must come before it may fire again.
 *
 * <p>"below 1,000 with hysteresis 200" holds while the balance is under 1,000 and re-arms once it is
 * 1,200 or more; "above 5,000 with hysteresis 500" holds while it is over 5,000 and re-arms at 4,500 or
 * less. Amounts in minor units of the account's currency; a threshold may be negative (an account with
 * an overdraft limit can go below zero).
 *
 * @param hysteresisMinor the re-arm band's width, 0 or more
 */
public record Condition(Field field, Operator operator, long thresholdMinor, long hysteresisMinor) {

    /** Which balance is watched. */
    public enum Field {
        /** What can be spent: posted − pending + overdraft limit (as {@code balance.available}). */
        AVAILABLE,
        /** The posted balance (as {@code balance.posted}). */
        POSTED;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Which side of the threshold fires. */
    public enum Operator {
        /** Fires when the balance goes under the threshold. */
        BELOW,
        /** Fires when the balance goes over the threshold. */
        ABOVE;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Condition {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(operator, "operator");
    }

    /** Whether the condition holds at this balance: the monitor fires when it starts to hold while armed. */
    public boolean holds(long balanceMinor) {
        return switch (operator) {
            case BELOW -> balanceMinor < thresholdMinor;
            case ABOVE -> balanceMinor > thresholdMinor;
        };
    }

    /** Whether the balance is back past the hysteresis band: a triggered monitor re-arms. */
    public boolean rearms(long balanceMinor) {
        return switch (operator) {
            case BELOW -> balanceMinor >= thresholdMinor + hysteresisMinor;
            case ABOVE -> balanceMinor <= thresholdMinor - hysteresisMinor;
        };
    }

    /** The balance of the watched field, from an account's posted and pending balances and overdraft limit. */
    public long balanceOf(long postedMinor, long pendingMinor, long overdraftLimitMinor) {
        return switch (field) {
            case AVAILABLE -> postedMinor - pendingMinor + overdraftLimitMinor;
            case POSTED -> postedMinor;
        };
    }
}
