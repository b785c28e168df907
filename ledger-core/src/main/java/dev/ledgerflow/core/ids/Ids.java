package dev.ledgerflow.core.ids;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * New object ids: a type prefix ({@code pay_}, {@code acc_}, …) and a ULID, 26 Crockford base-32
 * characters of 48 bits of milliseconds then 80 random bits. Ids sort by creation time, which keeps
 * index inserts local and makes {@code starting_after=<id>} cursors cheap.
 */
public final class Ids {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom random = new SecureRandom();

    private Ids() {}

    public static String newId(String prefix, Instant at) {
        byte[] randomness = new byte[10];
        random.nextBytes(randomness);
        long millis = at.toEpochMilli();
        char[] out = new char[26];
        // 48-bit time: 10 characters of 5 bits (the first carries 3 bits).
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (millis & 31)];
            millis >>>= 5;
        }
        // 80 random bits: 16 characters of 5 bits.
        long high = 0;
        for (int i = 0; i < 5; i++) {
            high = (high << 8) | (randomness[i] & 0xFF);
        }
        long low = 0;
        for (int i = 5; i < 10; i++) {
            low = (low << 8) | (randomness[i] & 0xFF);
        }
        for (int i = 17; i >= 10; i--) {
            out[i] = ALPHABET[(int) (high & 31)];
            high >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = ALPHABET[(int) (low & 31)];
            low >>>= 5;
        }
        return prefix + "_" + new String(out);
    }

    public static boolean looksLike(String prefix, String id) {
        return id != null && id.length() == prefix.length() + 27 && id.startsWith(prefix + "_");
    }
}
