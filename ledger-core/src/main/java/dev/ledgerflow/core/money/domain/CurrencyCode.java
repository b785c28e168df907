package dev.ledgerflow.core.money.domain;

import java.util.Currency;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An ISO 4217 alphabetic currency code, accepted in any case and kept in upper case.
 *
 * <p>Only codes the JDK knows ({@link Currency#getAvailableCurrencies()}) and that have minor units
 * are accepted: codes such as {@code XAU} or {@code XXX} have no minor unit, so an amount "in minor
 * units" of them means nothing.
 */
public record CurrencyCode(String code) {

    private static final Set<String> CODES = Currency.getAvailableCurrencies().stream()
            .filter(currency -> currency.getDefaultFractionDigits() >= 0)
            .map(Currency::getCurrencyCode)
            .collect(Collectors.toUnmodifiableSet());

    public CurrencyCode {
        if (!isValid(code)) {
            throw new IllegalArgumentException("not an ISO 4217 currency code with minor units: '" + code + "'");
        }
        code = code.toUpperCase(Locale.ROOT);
    }

    public static CurrencyCode of(String code) {
        return new CurrencyCode(code);
    }

    /** Whether {@code code} names a currency, in any case; lets the shell answer {@code currency_invalid}. */
    public static boolean isValid(String code) {
        // ASCII letters first, so that toUpperCase cannot turn a look-alike (such as 'ſ') into a code.
        return code != null && code.length() == 3 && code.chars().allMatch(CurrencyCode::asciiLetter)
                && CODES.contains(code.toUpperCase(Locale.ROOT));
    }

    /** How many digits the minor unit has: 2 for USD, 0 for JPY, 3 for KWD. */
    public int minorUnitDigits() {
        return Currency.getInstance(code).getDefaultFractionDigits();
    }

    @Override
    public String toString() {
        return code;
    }

    private static boolean asciiLetter(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

}
