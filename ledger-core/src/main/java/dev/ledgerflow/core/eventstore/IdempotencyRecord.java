package dev.ledgerflow.core.eventstore;

import java.time.Duration;
import java.util.Objects;

/**
 * The response to remember for an idempotency key, stored in the same transaction as the events.
 *
 * @param scope who owns the key (a merchant id): keys of different scopes never collide
 * @param fingerprint a digest of the request; the same key with another fingerprint is a misuse
 */
public record IdempotencyRecord(
        String scope, String key, String fingerprint, int responseStatus, String responseBody, Duration ttl) {
    public IdempotencyRecord {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(responseBody, "responseBody");
        Objects.requireNonNull(ttl, "ttl");
    }
}
