package dev.ledgerflow.delivery.webhook;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.ConfigurationV0;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.subtle.AesGcmJce;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Encrypts webhook secrets for storage (Google Tink's AEAD, AES-256-GCM, under the service key) and
 * decrypts them to sign.
 *
 * <p>A sealed value reads {@code v2:<key fingerprint>:<base64(Tink ciphertext)>}; the ciphertext is
 * Tink's: its prefix naming the key, a fresh random 12-byte nonce, the ciphertext and a 16-byte tag.
 * The associated data is the format and a context naming where the value lives (an endpoint's row),
 * so that a value copied into another row does not decrypt. The fingerprint names the key in the
 * text too: the start-up step finds the values under other keys by it, and a value under a key that
 * is not configured fails with an error naming both keys, never with garbage.
 *
 * <p>Values are sealed under the current key (the keyset's primary); those under the previous key
 * (during a key change) still open. Values in the first format, {@code v1:<fingerprint>:<base64(nonce
 * || ciphertext || tag)>} (AES-256-GCM without Tink's prefix, associated data {@code v1:<context>}),
 * still open: start-up seals them again in this format ({@link SecretsAtRest}). A value not in a
 * sealed format ({@code whsec_…} written in clear by an earlier version) opens as it is: start-up
 * seals those too, and until then they still sign.
 */
public final class SecretsCipher {

    /** The format this version writes. */
    public static final String FORMAT = "v2";
    /** The first format, read until start-up has sealed its values again. */
    static final String FORMAT_V1 = "v1";
    /** Any versioned sealed format, this one or another: {@code v<n>:…}. */
    private static final Pattern SEALED = Pattern.compile("^(v\\d+):");

    private final SecretsKey current;
    private final SecretsKey previous;
    /** The current key (primary) and the previous one: Tink picks the key a ciphertext names. */
    private final Aead aead;

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
        try {
            KeysetHandle.Builder keyset = KeysetHandle.newBuilder()
                    .addEntry(KeysetHandle.importKey(current.tinkKey(true)).makePrimary());
            if (this.previous != null) {
                keyset.addEntry(KeysetHandle.importKey(this.previous.tinkKey(true)));
            }
            this.aead = keyset.build().getPrimitive(ConfigurationV0.get(), Aead.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a keyset of AES-256-GCM keys with distinct ids is valid", e);
        }
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
        try {
            byte[] sealed = aead.encrypt(plaintext.getBytes(StandardCharsets.UTF_8), associatedData(FORMAT, context));
            return FORMAT + ":" + current.fingerprint() + ":" + Base64.getEncoder().encodeToString(sealed);
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
        String version = format.group(1);
        if (!FORMAT.equals(version) && !FORMAT_V1.equals(version)) {
            throw new Unreadable(context, "is stored in format " + format.group(1) + ", which this version does not read"
                    + " (was a newer Ledgerflow writing to this database?)", null);
        }
        String[] parts = stored.split(":", 3);
        if (parts.length != 3) {
            throw new Unreadable(context, "is not a well-formed " + version + " value", null);
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
            throw new Unreadable(context, "is not a well-formed " + version + " value (bad base64)", parts[1]);
        }
        try {
            // Tink refuses a value too short to hold a nonce and a tag like any altered one.
            byte[] plaintext = FORMAT.equals(version)
                    ? aead.decrypt(bytes, associatedData(FORMAT, context))
                    : AesGcmJce.create(key.tinkKey(false)).decrypt(bytes, associatedData(FORMAT_V1, context));
            return new String(plaintext, StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new Unreadable(context, "does not decrypt under key " + key.fingerprint() + " (" + key.label()
                    + "): it was altered, or copied from another row", key.fingerprint());
        }
    }

    /** Whether a stored value is sealed under the current key (and so needs no work at start-up). */
    public boolean isCurrent(String stored) {
        return stored.startsWith(currentPrefix());
    }

    /** What every value sealed under the current key starts with: {@code v2:<fingerprint>:}. */
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

    private static byte[] associatedData(String format, String context) {
        return (format + ":" + context).getBytes(StandardCharsets.UTF_8);
    }
}
