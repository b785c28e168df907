package dev.ledgerflow.delivery.webhook;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts webhook secrets for storage (AES-256-GCM under the service key) and decrypts them to sign.
 *
 * <p>A sealed value reads {@code v1:<key fingerprint>:<base64(nonce || ciphertext || tag)>}: a fresh
 * random 12-byte nonce per value, a 16-byte tag, and as associated data the format and a context
 * naming where the value lives (an endpoint's row), so that a value copied into another row does not
 * decrypt. The fingerprint names the key: a value under a key that is not configured fails with an
 * error naming both keys, never with garbage. Random 96-bit nonces are safe for far more values than
 * a service stores (NIST's bound is 2^32 encryptions per key).
 *
 * <p>Values are sealed under the current key; those under the previous key (during a key change)
 * still open. A value not in a sealed format ({@code whsec_…} written in clear by an earlier version)
 * opens as it is: start-up seals those ({@link SecretsAtRest}), and until then they still sign.
 */
public final class SecretsCipher {

    /** The format this version writes and reads. */
    public static final String FORMAT = "v1";
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    /** Any versioned sealed format, this one or another: {@code v<n>:…}. */
    private static final Pattern SEALED = Pattern.compile("^(v\\d+):");
    private static final SecureRandom random = new SecureRandom();

    private final SecretsKey current;
    private final SecretsKey previous;

    /**
     * @param current seals, and opens what it sealed
     * @param previous opens values sealed before a key change, or null
     */
    public SecretsCipher(SecretsKey current, SecretsKey previous) {
        if (current == null) {
            throw new IllegalArgumentException("a current key is required");
        }
        this.current = current;
        this.previous = previous == null || previous.fingerprint().equals(current.fingerprint()) ? null : previous;
    }

    public SecretsCipher(SecretsKey current) {
        this(current, null);
    }

    public SecretsKey currentKey() {
        return current;
    }

    public Optional<SecretsKey> previousKey() {
        return Optional.ofNullable(previous);
    }

    /** A value that cannot be opened with the configured keys; the message says why and names the keys. */
    public static final class Unreadable extends IllegalStateException {

        private final String context;
        private final String fingerprint;

        Unreadable(String context, String problem, String fingerprint) {
            super(context + " " + problem);
            this.context = context;
            this.fingerprint = fingerprint;
        }

        /** Where the value is stored, as given to {@link #open}. */
        public String context() {
            return context;
        }

        /** The fingerprint of the key the value names, or null when it names none. */
        public String fingerprint() {
            return fingerprint;
        }
    }

    /**
     * Encrypts under the current key.
     *
     * @param context where the value is stored, e.g. {@code webhook_endpoints:we_…}; it must be given
     *     again to open it
     */
    public String seal(String plaintext, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, current.spec(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(context));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] stored = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
            return FORMAT + ":" + current.fingerprint() + ":" + Base64.getEncoder().encodeToString(stored);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is always available", e);
        }
    }

    /**
     * The plaintext of a stored value: decrypted when sealed (under the current or the previous key),
     * as it is when it is in clear.
     *
     * @throws Unreadable when it is sealed under a key that is not configured, in a format this
     *     version does not know, malformed, altered, or sealed for another context
     */
    public String open(String stored, String context) {
        Matcher format = SEALED.matcher(stored);
        if (!format.find()) {
            return stored;
        }
        if (!FORMAT.equals(format.group(1))) {
            throw new Unreadable(context, "is stored in format " + format.group(1) + ", which this version does not read"
                    + " (was a newer Ledgerflow writing to this database?)", null);
        }
        String[] parts = stored.split(":", 3);
        if (parts.length != 3) {
            throw new Unreadable(context, "is not a well-formed " + FORMAT + " value", null);
        }
        SecretsKey key = keyFor(parts[1]);
        if (key == null) {
            throw new Unreadable(context, "is encrypted under key " + parts[1] + ", which is not configured ("
                    + configuredKeys() + "): configure the key it was written with", parts[1]);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new Unreadable(context, "is not a well-formed " + FORMAT + " value (bad base64)", parts[1]);
        }
        if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new Unreadable(context, "is not a well-formed " + FORMAT + " value (too short)", parts[1]);
        }
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(associatedData(context));
            byte[] plaintext = cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
            return new String(plaintext, StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new Unreadable(context, "does not decrypt under key " + key.fingerprint() + " (" + key.label()
                    + "): it was altered, or copied from another row", key.fingerprint());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is always available", e);
        }
    }

    /** Whether a stored value is sealed under the current key (and so needs no work at start-up). */
    public boolean isCurrent(String stored) {
        return stored.startsWith(currentPrefix());
    }

    /** What every value sealed under the current key starts with: {@code v1:<fingerprint>:}. */
    public String currentPrefix() {
        return FORMAT + ":" + current.fingerprint() + ":";
    }

    /** The configured keys with their fingerprints, for messages. */
    public String configuredKeys() {
        return current.label() + " is key " + current.fingerprint() + ", "
                + (previous == null ? "no previous key is set" : previous.label() + " is key " + previous.fingerprint());
    }

    /** Whether the key of this fingerprint is configured, as the current or the previous key. */
    boolean knows(String fingerprint) {
        return keyFor(fingerprint) != null;
    }

    private SecretsKey keyFor(String fingerprint) {
        if (current.fingerprint().equals(fingerprint)) {
            return current;
        }
        return previous != null && previous.fingerprint().equals(fingerprint) ? previous : null;
    }

    private static byte[] associatedData(String context) {
        return (FORMAT + ":" + context).getBytes(StandardCharsets.UTF_8);
    }
}
