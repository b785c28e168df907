package dev.ledgerflow.gateway.logchain;

import java.util.Objects;

/**
 * A signed checkpoint of the log's hash chain: the chain's head at a time, signed with the log signing
 * key. Whoever holds one can later prove that the log up to {@code position} is unchanged: the chain
 * recomputed up to it must still end on {@code hash} ({@code GET /admin/log/verify?to=<position>}).
 *
 * @param position the last event the checkpoint covers
 * @param hash that event's chain hash, hex
 * @param signedAt when it was signed, RFC 3339 as signed
 * @param algorithm {@value LogSigningKey#ALGORITHM}
 * @param publicKey the key that signed it, X.509 SubjectPublicKeyInfo DER in base64
 * @param signature the signature of {@link #message()}, base64
 */
public record LogCheckpoint(long position, String hash, String signedAt, String algorithm, String publicKey,
        String signature) {

    /** The event type checkpoints are published as. */
    public static final String TYPE = "log.checkpoint";

    public LogCheckpoint {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(signedAt, "signedAt");
    }

    /** What is signed: three lines after a version line, in UTF-8. */
    public static String message(long position, String hash, String signedAt) {
        return "ledgerflow-log-checkpoint-v1\n" + position + "\n" + hash + "\n" + signedAt;
    }

    public String message() {
        return message(position, hash, signedAt);
    }

    /** Whether the signature is the public key's over this checkpoint's message. */
    public boolean signatureValid() {
        return LogSigningKey.verify(publicKey, message(), signature);
    }
}
