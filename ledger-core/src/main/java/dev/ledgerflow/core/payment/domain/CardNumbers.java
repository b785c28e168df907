package dev.ledgerflow.core.payment.domain;

/**
 * Pure checks of a card number (the PAN) for the shell, which parses the request, validates the
 * number, derives brand, last four digits and a keyed fingerprint, and then forgets the number: it
 * never reaches a command, an event or a log.
 */
public final class CardNumbers {

    /** Shortest card number accepted (ISO/IEC 7812 numbers in use are 12 to 19 digits). */
    public static final int LENGTH_MIN = 12;

    /** Longest card number accepted. */
    public static final int LENGTH_MAX = 19;

    private CardNumbers() {}

    /**
     * Whether {@code digits} is a plausible card number: 12 to 19 ASCII digits, nothing else, with a
     * valid Luhn check digit.
     */
    public static boolean luhnValid(String digits) {
        if (digits == null || digits.length() < LENGTH_MIN || digits.length() > LENGTH_MAX || !allDigits(digits)) {
            return false;
        }
        int sum = 0;
        boolean doubled = false; // every second digit from the right, starting left of the check digit
        for (int i = digits.length() - 1; i >= 0; i--) {
            int digit = digits.charAt(i) - '0';
            if (doubled) {
                digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
            }
            sum += digit;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /** The network, from the leading digits (IIN ranges); {@link CardBrand#UNKNOWN} for anything else. */
    public static CardBrand brand(String digits) {
        if (digits == null || digits.isEmpty() || !allDigits(digits)) {
            return CardBrand.UNKNOWN;
        }
        int two = prefix(digits, 2);
        int three = prefix(digits, 3);
        int four = prefix(digits, 4);
        if (digits.charAt(0) == '4') {
            return CardBrand.VISA;
        }
        if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) {
            return CardBrand.MASTERCARD;
        }
        if (two == 34 || two == 37) {
            return CardBrand.AMEX;
        }
        if (four == 6011 || (three >= 644 && three <= 649) || two == 65) {
            return CardBrand.DISCOVER;
        }
        return CardBrand.UNKNOWN;
    }

    /** The last four digits, the only part of the number ever shown or stored. */
    public static String last4(String digits) {
        if (digits == null || digits.length() < 4) {
            throw new IllegalArgumentException("a card number has more than four digits");
        }
        return digits.substring(digits.length() - 4);
    }

    private static boolean allDigits(String s) {
        return s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** The first {@code n} digits as a number, or -1 when the number is shorter. */
    private static int prefix(String digits, int n) {
        return digits.length() < n ? -1 : Integer.parseInt(digits.substring(0, n));
    }
}
