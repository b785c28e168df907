package dev.ledgerflow.delivery.webhook;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.util.SecretBytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A 256-bit AES key that webhook secrets are encrypted under at rest, named by a short fingerprint,
 * and the Tink keys made of it ({@link SecretsCipher}).
 *
 * <p>The fingerprint (8 hex digits of a SHA-256 of the key, domain-separated) is written beside every
 * value sealed under the key, so that a value under another key is recognised as such and the error
 * says which key it needs, instead of decrypting to garbage. It reveals nothing usable about a random
 * 256-bit key. The same four bytes are the key's id in a Tink keyset, which Tink writes in front of
 * every ciphertext to pick the key that opens it. The label says where the key came from (for
 * example the environment variable), for error messages; the key itself is never printed.
 */
public final class SecretsKey {

    /** AES-256. */
    public static final int BYTES = 32;
    private static final byte[] FINGERPRINT_DOMAIN = "ledgerflow webhook secrets key fingerprint\0".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom random = new SecureRandom();

    private final String label;
    private final SecretBytes key;
    /** The fingerprint's four bytes, as Tink's key id. */
    private final int id;
    private final String fingerprint;

    private SecretsKey(String label, byte[] key) {
        this.label = Objects.requireNonNull(label, "label");
        this.key = SecretBytes.copyFrom(key, InsecureSecretKeyAccess.get());
        this.id = ByteBuffer.wrap(digest(key)).getInt();
        this.fingerprint = HexFormat.of().toHexDigits(id);
    }

    /**
     * Reads a key given as the base64 (standard or URL-safe alphabet, padding optional) of 32 bytes.
     *
     * @param label where it came from, for messages, e.g. {@code LEDGER_WEBHOOKS_SECRETS_KEY}
     * @throws IllegalArgumentException naming the label (never the value) when it is not such a key
     */
    public static SecretsKey parse(String label, String base64) {
        if (base64 == null || base64.isBlank()) {
            throw new IllegalArgumentException(label + " is empty: it must be the base64 of " + BYTES + " random bytes"
                    + " (for example the output of `openssl rand -base64 " + BYTES + "`)");
        }
        String text = base64.strip();
        byte[] key;
        try {
            key = text.indexOf('-') >= 0 || text.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(text)
                    : Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(label + " is not base64: it must be the base64 of " + BYTES + " random bytes"
                    + " (for example the output of `openssl rand -base64 " + BYTES + "`)");
        }
        if (key.length != BYTES) {
            throw new IllegalArgumentException(label + " decodes to " + key.length + " bytes; an AES-256 key is " + BYTES
                    + " (for example the output of `openssl rand -base64 " + BYTES + "`)");
        }
        return new SecretsKey(label, key);
    }

    /** A new random key, as base64: what a development runner generates and keeps. */
    public static String newKeyBase64() {
        byte[] key = new byte[BYTES];
        random.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** A new random key (tests). */
    public static SecretsKey generate(String label) {
        return parse(label, newKeyBase64());
    }

    /** Eight hex digits that name the key in stored values and in messages. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Where the key came from, e.g. {@code LEDGER_WEBHOOKS_SECRETS_KEY}. */
    public String label() {
        return label;
    }

    /**
     * This key as Tink's AES-256-GCM key: with Tink's 5-byte prefix (its id is the fingerprint) for
     * the current format, or without a prefix for the first format ({@code v1}), whose stored bytes are
     * a 12-byte nonce, the ciphertext and a 16-byte tag, exactly what Tink's unprefixed AES-GCM reads.
     */
    AesGcmKey tinkKey(boolean prefixed) {
        try {
            AesGcmParameters parameters = AesGcmParameters.builder().setKeySizeBytes(BYTES).setIvSizeBytes(12).setTagSizeBytes(16)
                    .setVariant(prefixed ? AesGcmParameters.Variant.TINK : AesGcmParameters.Variant.NO_PREFIX)
                    .build();
            return AesGcmKey.builder().setParameters(parameters).setKeyBytes(key)
                    .setIdRequirement(prefixed ? id : null)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM with 12-byte nonces and 16-byte tags is a valid Tink key", e);
        }
    }

    /** The label and the fingerprint, never the key. */
    @Override
    public String toString() {
        return label + " (key " + fingerprint + ")";
    }

    private static byte[] digest(byte[] key) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(FINGERPRINT_DOMAIN);
            return sha256.digest(key);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
