package dev.ledgerflow.core.payment.domain;

import java.util.regex.Pattern;

/** The check of a UPI virtual payment address ({@code name@bank}, such as {@code success@upi}). */
public final class Vpa {

    private static final Pattern VPA = Pattern.compile("[a-zA-Z0-9.\\-_]{2,256}@[a-zA-Z]{2,64}");

    private Vpa() {}

    /** Whether {@code vpa} is a well-formed handle: 2–256 of letters, digits, {@code . - _}, then {@code @} and 2–64 letters. */
    public static boolean isValid(String vpa) {
        return vpa != null && VPA.matcher(vpa).matches();
    }
}
