package dev.ledgerflow.gateway.logchain;

import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.projections.logchain.LogChain;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The log's hash chain read back, and its signed checkpoints published. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LogProperties.class)
class LogChainConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LogChainConfiguration.class);

    @Bean
    LogChain logChain(ConnectionPool pool) {
        return new LogChain(pool);
    }

    @Bean(destroyMethod = "close")
    LogCheckpoints logCheckpoints(EventStore store, LogChain chain, LogProperties properties, Clock clock) {
        LogSigningKey key;
        if (properties.signingKey() == null || properties.signingKey().isBlank()) {
            key = LogSigningKey.generate();
            log.warn("LEDGER_LOG_SIGNING_KEY is not set: log checkpoints are signed with a key generated for this run"
                    + " only (public key {}). Set it to an Ed25519 private key, PKCS#8 in base64, to keep one key.",
                    key.publicKeyBase64());
        } else {
            try {
                key = LogSigningKey.fromBase64(properties.signingKey());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("LEDGER_LOG_SIGNING_KEY must be an Ed25519 private key, PKCS#8 in base64"
                        + " (e.g. `openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`): " + e.getMessage(), e);
            }
        }
        if (properties.checkpointInterval().isNegative() || properties.checkpointInterval().isZero()) {
            throw new IllegalStateException("LEDGER_LOG_CHECKPOINT_INTERVAL must be positive");
        }
        return new LogCheckpoints(store, chain, key, clock, properties.checkpointInterval()).start();
    }
}
