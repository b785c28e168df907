package dev.ledgerflow.delivery.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signing secrets and signatures of the Standard Webhooks scheme: a secret is {@code whsec_} and the
 * base64 of a random key; a signature is {@code v1,} and the base64 HMAC-SHA256, under that key, of
 * {@code "{webhook-id}.{webhook-timestamp}.{body}"}.
 */
public final class WebhookSecrets {

    public static final String PREFIX = "whsec_";
    /** The spec asks for 24 to 64 random bytes; 32 matches the HMAC-SHA256 block of security. */
    private static final int KEY_BYTES = 32;
    private static final SecureRandom random = new SecureRandom();

    private WebhookSecrets() {}

    public static String newSecret() {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** One {@code v1,…} signature of a message with one secret. */
    public static String sign(String secret, String webhookId, long timestampSeconds, byte[] body) {
        if (webhookId.contains(".")) {
            // The signed content is dot-delimited: an id with a dot could be made to collide.
            throw new IllegalArgumentException("a webhook id must not contain '.': " + webhookId);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key(secret), "HmacSHA256"));
            mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }

    /**
     * The {@code webhook-signature} header: one signature per secret, space-separated, so a receiver
     * that still holds the previous secret during a rotation accepts the message too.
     */
    public static String signatureHeader(List<String> secrets, String webhookId, long timestampSeconds, byte[] body) {
        return secrets.stream().map(secret -> sign(secret, webhookId, timestampSeconds, body)).collect(Collectors.joining(" "));
    }

    private static byte[] key(String secret) {
        if (!secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret starts with " + PREFIX);
        }
        return Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    }
}
