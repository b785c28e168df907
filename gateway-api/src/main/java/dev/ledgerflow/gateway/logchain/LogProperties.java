package dev.ledgerflow.gateway.logchain;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The tamper-evident log's settings, bound from {@code ledger.log.*} or the environment variables
 * {@code LEDGER_LOG_SIGNING_KEY} and {@code LEDGER_LOG_CHECKPOINT_INTERVAL}.
 *
 * @param signingKey the Ed25519 private key that signs checkpoints, PKCS#8 in base64; unset: one is
 *     generated per start (warned), so checkpoints of different runs carry different public keys
 * @param checkpointInterval how often a checkpoint is published, when the log moved since the last one
 */
@ConfigurationProperties("ledger.log")
public record LogProperties(String signingKey, @DefaultValue("10m") Duration checkpointInterval) {

    @Override
    public String toString() {
        return "LogProperties[signingKey=" + (signingKey == null ? "unset" : "***") + ", checkpointInterval="
                + checkpointInterval + "]";
    }
}
