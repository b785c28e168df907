package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/api-keys}: a merchant's keys. A new key is shown once, in the answer that creates it (and
 * so takes no {@code Idempotency-Key}: a stored answer would keep the secret); revoking one makes it
 * answer 401 at once. The last live key cannot be revoked, which would lock the merchant out.
 */
@RestController
@Tag(name = "API keys")
class ApiKeyController {

    static final int LIVE_KEYS_MAX = 20;

    private final ApiKeyRepository keys;
    private final Clock clock;

    ApiKeyController(ApiKeyRepository keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    record ApiKeyView(String id, String object, String last4, String status, Instant createdAt, Instant revokedAt) {

        static ApiKeyView of(ApiKeyRepository.ApiKey key) {
            return new ApiKeyView(key.id(), "api_key", key.last4(), key.revokedAt().isPresent() ? "revoked" : "active",
                    key.createdAt(), key.revokedAt().orElse(null));
        }
    }

    record ApiKeyCreated(String id, String object, String apiKey, String last4, String status, Instant createdAt) {}

    record ApiKeyList(List<ApiKeyView> data, boolean hasMore) {}

    @PostMapping(path = "/v1/api-keys", produces = "application/json")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<ApiKeyCreated> create(Caller.Merchant merchant) {
        return keys.liveCount(merchant.merchantId()).flatMap(live -> {
            if (live >= LIVE_KEYS_MAX) {
                return Mono.error(new ApiException(ApiError.INVALID_STATE,
                        "A merchant has at most " + LIVE_KEYS_MAX + " active keys; revoke one first."));
            }
            Instant now = clock.instant();
            String key = ApiKeys.newKey();
            return keys.insert(merchant.merchantId(), Ids.newId("key", now), key, now)
                    .map(created -> new ApiKeyCreated(created.id(), "api_key", key, created.last4(), "active", now));
        });
    }

    @GetMapping(path = "/v1/api-keys", produces = "application/json")
    Mono<ApiKeyList> list(Caller.Merchant merchant) {
        return keys.list(merchant.merchantId()).map(ApiKeyView::of).collectList().map(all -> new ApiKeyList(all, false));
    }

    @DeleteMapping(path = "/v1/api-keys/{id}", produces = "application/json")
    Mono<ApiKeyView> revoke(Caller.Merchant merchant, @PathVariable String id) {
        if (!id.startsWith("key_")) {
            return Mono.error(ApiException.notFound("API key"));
        }
        return keys.list(merchant.merchantId()).collectList().flatMap(all -> {
            var target = all.stream().filter(key -> key.id().equals(id)).findFirst();
            if (target.isEmpty()) {
                return Mono.error(ApiException.notFound("API key"));
            }
            long othersLive = all.stream().filter(key -> key.revokedAt().isEmpty() && !key.id().equals(id)).count();
            if (target.get().revokedAt().isEmpty() && othersLive == 0) {
                return Mono.error(new ApiException(ApiError.INVALID_STATE,
                        "This is the merchant's last active key; create another before revoking it."));
            }
            return keys.revoke(merchant.merchantId(), id, clock.instant()).map(ApiKeyView::of);
        });
    }
}
