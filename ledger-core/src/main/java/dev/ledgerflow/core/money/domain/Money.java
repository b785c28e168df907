package dev.ledgerflow.core.money.domain;

import java.util.Objects;

/**
 * An amount of one currency in integer minor units (cents for USD); never floating point.
 *
 * <p>A {@code Money} may be zero or negative (a debit, a balance); whether an amount is acceptable in
 * a request is a separate, explicit check: {@link #withinRequestLimits()}. Arithmetic is exact and
 * throws {@link ArithmeticException} on overflow rather than wrapping around.
 */
public record Money(long amountMinor, CurrencyCode currency) {

    /** The largest amount a request may name: 10^12 minor units (API.md, Conventions). */
    public static final long AMOUNT_MAX_MINOR = 1_000_000_000_000L;

    /** The smallest amount a request may name. */
    public static final long AMOUNT_MIN_MINOR = 1;

    public Money {
        Objects.requireNonNull(currency, "currency");
    }

    public static Money of(long amountMinor, CurrencyCode currency) {
        return new Money(amountMinor, currency);
    }

    public static Money of(long amountMinor, String currency) {
        return new Money(amountMinor, CurrencyCode.of(currency));
    }

    public static Money zero(CurrencyCode currency) {
        return new Money(0, currency);
    }

    /** Whether {@code amountMinor} may be named in a request: {@code 1 ≤ amount ≤ 10^12}. */
    public static boolean withinRequestLimits(long amountMinor) {
        return amountMinor >= AMOUNT_MIN_MINOR && amountMinor <= AMOUNT_MAX_MINOR;
    }

    /** Whether this amount may be named in a request: {@code 1 ≤ amount ≤ 10^12}. */
    public boolean withinRequestLimits() {
        return withinRequestLimits(amountMinor);
    }

    public Money plus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.addExact(amountMinor, other.amountMinor), currency);
    }

    public Money minus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.subtractExact(amountMinor, other.amountMinor), currency);
    }

    public Money negate() {
        return new Money(Math.negateExact(amountMinor), currency);
    }

    /** True when both amounts are of one currency; comparing or adding across currencies is a bug. */
    public boolean sameCurrencyAs(Money other) {
        return currency.equals(other.currency);
    }

    @Override
    public String toString() {
        return amountMinor + " " + currency;
    }

    private void requireSameCurrency(Money other) {
        if (!sameCurrencyAs(other)) {
            throw new IllegalArgumentException("currency mismatch: " + this + " and " + other);
        }
    }
}
