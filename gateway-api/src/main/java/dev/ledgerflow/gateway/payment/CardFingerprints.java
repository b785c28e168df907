package dev.ledgerflow.gateway.payment;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A card's fingerprint: HMAC-SHA256 of the number under a secret key, so equal cards can be matched
 * without the number being recoverable from what is stored (an unkeyed hash of a 16-digit number
 * could be brute-forced).
 */
final class CardFingerprints {

    private final SecretKeySpec key;

    CardFingerprints(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    String of(String cardNumber) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(cardNumber.getBytes(StandardCharsets.US_ASCII));
            return "fp_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }
}
