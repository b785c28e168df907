package dev.ledgerflow.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tokens that let a browser open an event stream without the merchant's secret key
 * ({@code EventSource} cannot send an {@code Authorization} header, and a checkout page must never
 * hold a secret key). A token names the merchant, optionally one payment it is limited to, and when
 * it expires; it is signed with HMAC-SHA256 and checked without any storage.
 */
public final class StreamTokens {

    private static final String PREFIX = "stk_";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /** What a valid token grants: the merchant's feed and payments, or only {@code payment} if set. */
    public record Grant(String merchantId, Optional<String> payment, Instant expiresAt) {

        /** Whether the grant covers the stream at {@code path}. */
        public boolean allows(String path) {
            return payment.map(p -> path.equals("/v1/payments/" + p + "/stream"))
                    .orElse(path.equals("/v1/events/stream") || (path.startsWith("/v1/payments/") && path.endsWith("/stream")));
        }
    }

    private final byte[] key;
    private final Duration ttl;
    private final Clock clock;

    public StreamTokens(byte[] key, Duration ttl, Clock clock) {
        if (key.length < 16) {
            throw new IllegalArgumentException("a stream token key needs at least 16 bytes");
        }
        this.key = key.clone();
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A token for the merchant (and only that payment's stream, if given). */
    public String issue(String merchantId, Optional<String> payment) {
        Instant expiresAt = expiresAt();
        String body = merchantId + "|" + payment.orElse("") + "|" + expiresAt.getEpochSecond();
        String encoded = ENCODER.encodeToString(body.getBytes(StandardCharsets.UTF_8));
        return PREFIX + encoded + "." + ENCODER.encodeToString(sign(encoded));
    }

    /** When a token issued now expires. */
    public Instant expiresAt() {
        return clock.instant().plus(ttl).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    /** The grant of a genuine, unexpired token; empty for anything else. */
    public Optional<Grant> verify(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 512) {
            return Optional.empty();
        }
        String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            if (!MessageDigest.isEqual(sign(parts[0]), DECODER.decode(parts[1]))) {
                return Optional.empty();
            }
            String[] fields = new String(DECODER.decode(parts[0]), StandardCharsets.UTF_8).split("\\|", -1);
            if (fields.length != 3) {
                return Optional.empty();
            }
            Instant expiresAt = Instant.ofEpochSecond(Long.parseLong(fields[2]));
            if (!clock.instant().isBefore(expiresAt)) {
                return Optional.empty();
            }
            return Optional.of(new Grant(fields[0], fields[1].isEmpty() ? Optional.empty() : Optional.of(fields[1]), expiresAt));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private byte[] sign(String encoded) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(encoded.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }
}
