package dev.ledgerflow.gateway.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How merchants' API keys are stored and checked, bound from {@code ledger.api-keys.*} or the environment
 * variables {@code LEDGER_API_KEYS_HASH_KEY} and {@code LEDGER_API_KEYS_CACHE_TTL}.
 *
 * @param hashKey the server secret of the keyed hash (HMAC-SHA256) keys are stored under: at least 16
 *     characters, the same on every instance, kept as long as the database (a new one invalidates every key)
 * @param cacheTtl how long an instance trusts a key it has checked; a revocation reaches other instances
 *     within it (the instance that revokes forgets the key at once)
 */
@ConfigurationProperties("ledger.api-keys")
public record ApiKeyProperties(String hashKey, @DefaultValue("2s") Duration cacheTtl) {

    /** The environment variable of {@link #hashKey()}, as messages name it. */
    static final String HASH_KEY_VARIABLE = "LEDGER_API_KEYS_HASH_KEY";

    @Override
    public String toString() {
        return "ApiKeyProperties[hashKey=" + (hashKey == null ? "unset" : "***") + ", cacheTtl=" + cacheTtl + "]";
    }
}
