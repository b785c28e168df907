package dev.ledgerflow.gateway.logchain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The Ed25519 key that signs checkpoints of the log's hash chain (the JDK's own {@code Ed25519}
 * provider). Configured as a PKCS#8 private key in base64; its public key is derived from it.
 */
public final class LogSigningKey {

    public static final String ALGORITHM = "Ed25519";

    private final KeyPair keyPair;

    private LogSigningKey(KeyPair keyPair) {
        this.keyPair = keyPair;
    }

    /** A new random key. */
    public static LogSigningKey generate() {
        try {
            return new LogSigningKey(KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new random key as PKCS#8 base64, the form {@code LEDGER_LOG_SIGNING_KEY} takes. */
    public static String newKeyBase64() {
        return generate().privateKeyBase64();
    }

    /**
     * The key from its PKCS#8 base64 encoding.
     *
     * @throws IllegalArgumentException when it is not an Ed25519 private key in that form
     */
    public static LogSigningKey fromBase64(String pkcs8Base64) {
        try {
            var privateKey = (EdECPrivateKey) KeyFactory.getInstance(ALGORITHM)
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pkcs8Base64.strip())));
            byte[] seed = privateKey.getBytes().orElseThrow(() -> new IllegalArgumentException("no key bytes"));
            // The JDK derives an Ed25519 public key only while generating a pair: generate the pair whose
            // private key is these bytes, by handing the generator them as its randomness.
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(255, new FixedBytes(seed));
            KeyPair pair = generator.generateKeyPair();
            return new LogSigningKey(new KeyPair(pair.getPublic(), privateKey));
        } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 private key in PKCS#8, base64: " + e.getMessage(), e);
        }
    }

    public String privateKeyBase64() {
        return Base64.getEncoder().encodeToString(keyPair.getPrivate().getEncoded());
    }

    /** The public key, X.509 SubjectPublicKeyInfo in base64 (what {@code openssl pkey -pubin} reads as DER). */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
    }

    /** The signature of {@code message}'s UTF-8 bytes, base64. */
    public String sign(String message) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(keyPair.getPrivate());
            signature.update(message.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code signatureBase64} is a signature of {@code message} by the public key given (X.509, base64). */
    public static boolean verify(String publicKeyBase64, String message, String signatureBase64) {
        try {
            PublicKey publicKey = KeyFactory.getInstance(ALGORITHM)
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKeyBase64)));
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(publicKey);
            signature.update(message.getBytes(StandardCharsets.UTF_8));
            return signature.verify(Base64.getDecoder().decode(signatureBase64));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Randomness that is a given seed: only for deriving the public key of a known private key. */
    private static final class FixedBytes extends SecureRandom {

        private final byte[] bytes;

        FixedBytes(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            if (out.length != bytes.length) {
                throw new IllegalStateException("expected a request for " + bytes.length + " bytes, got " + out.length);
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }
}
