package dev.ledgerflow.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Merchant API keys: {@code sk_} and 256 random bits. Stored only as HMAC-SHA256 under the server's
 * key-hash key, taken over the key's SHA-256 digest: rows from before the keyed hash (which held the
 * plain digest) are migrated in place with {@link #rehash(String)}, without ever knowing the key.
 */
public final class ApiKeys {

    private static final SecureRandom random = new SecureRandom();

    /** One digest per thread: looking the algorithm up cost more than digesting a key. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    });

    private final byte[] hashKey;
    /** One keyed MAC per thread, initialised once (doFinal resets it for the next use). */
    private final ThreadLocal<Mac> mac = ThreadLocal.withInitial(this::newMac);

    public ApiKeys(byte[] hashKey) {
        if (hashKey.length < 16) {
            throw new IllegalArgumentException("the API key hash key needs at least 16 bytes");
        }
        this.hashKey = hashKey.clone();
    }

    public static String newKey() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return "sk_" + HexFormat.of().formatHex(bytes);
    }

    /** What is stored for a key: HMAC-SHA256(hash key, hex SHA-256(key)), hex. */
    public String hash(String key) {
        return rehash(sha256(key));
    }

    /** The stored form of a key whose plain SHA-256 digest (hex) is all that is known. */
    public String rehash(String sha256Hex) {
        return HexFormat.of().formatHex(mac.get().doFinal(sha256Hex.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The unkeyed digest that keys were stored as before the keyed hash. */
    public static String sha256(String key) {
        return HexFormat.of().formatHex(SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    private Mac newMac() {
        try {
            Mac created = Mac.getInstance("HmacSHA256");
            created.init(new SecretKeySpec(hashKey, "HmacSHA256"));
            return created;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }

    /** Compares without leaking, through timing, how much of a guess was right. */
    public static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ApiKeys[***]";
    }
}
