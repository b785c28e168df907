package dev.ledgerflow.gateway.command;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Idempotency keys whose first request is still running on this instance: a second request with the
 * same key gets 409 {@code idempotency_key_in_use} instead of racing it. Across instances, the key's
 * row in the append transaction decides: the loser answers with the winner's stored response.
 */
@Component
class InFlightKeys {

    private final Set<String> running = ConcurrentHashMap.newKeySet();

    boolean tryAcquire(String scope, String key) {
        return running.add(scope + '\n' + key);
    }

    void release(String scope, String key) {
        running.remove(scope + '\n' + key);
    }
}
