package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Merchants' API keys, stored as keyed hashes ({@link ApiKeys}). Look-ups are remembered for
 * {@code cacheTtl} (a payment's requests cost no extra statement); revoking a key forgets it on this
 * instance at once, and other instances within {@code cacheTtl}.
 */
public final class ApiKeyRepository {

    /** One key, without its secret. */
    public record ApiKey(String id, String merchantId, String last4, Instant createdAt, Optional<Instant> revokedAt) {}

    private record Cached(String merchantId, String keyId, Instant until) {}

    private final ConnectionPool pool;
    private final ApiKeys keys;
    private final Duration cacheTtl;
    private final Clock clock;
    private final Map<String, Cached> byDigest = new ConcurrentHashMap<>();

    public ApiKeyRepository(ConnectionPool pool, ApiKeys keys, Duration cacheTtl, Clock clock) {
        this.pool = pool;
        this.keys = keys;
        this.cacheTtl = cacheTtl;
        this.clock = clock;
    }

    /** Stores a new key of the merchant (on {@code connection}, inside the caller's transaction if any). */
    public Mono<ApiKey> insert(Connection connection, String merchantId, String keyId, String key, Instant createdAt) {
        String last4 = key.substring(key.length() - 4);
        return Sql.update(connection, "insert into api_keys (id, merchant_id, key_hash, hash_scheme, last4, created_at)"
                        + " values ($1, $2, $3, 'hmac', $4, $5)",
                        s -> s.bind("$1", keyId).bind("$2", merchantId).bind("$3", keys.hash(key)).bind("$4", last4)
                                .bind("$5", createdAt.atOffset(ZoneOffset.UTC)))
                .thenReturn(new ApiKey(keyId, merchantId, last4, createdAt, Optional.empty()));
    }

    public Mono<ApiKey> insert(String merchantId, String keyId, String key, Instant createdAt) {
        return Mono.usingWhen(pool.create(), c -> insert(c, merchantId, keyId, key, createdAt), Connection::close);
    }

    /** The merchant of a live (unrevoked) key, if any. */
    public Mono<Optional<String>> merchantIdForKey(String key) {
        // Remembered by the key's plain digest: a hit costs one SHA-256, not the keyed hash on top of it.
        String digest = ApiKeys.sha256(key);
        Cached cached = byDigest.get(digest);
        if (cached != null && clock.instant().isBefore(cached.until())) {
            return Mono.just(Optional.of(cached.merchantId()));
        }
        String hash = keys.rehash(digest);
        return Sql.query(pool, "select id, merchant_id from api_keys where key_hash = $1 and hash_scheme = 'hmac'"
                                + " and revoked_at is null",
                        s -> s.bind("$1", hash),
                        row -> new Cached(row.get("merchant_id", String.class), row.get("id", String.class),
                                clock.instant().plus(cacheTtl)))
                .next()
                .doOnNext(found -> byDigest.put(digest, found))
                .map(found -> Optional.of(found.merchantId()))
                .defaultIfEmpty(Optional.empty());
    }

    /** The merchant's keys, newest first, revoked ones included. */
    public Flux<ApiKey> list(String merchantId) {
        return Sql.query(pool, "select id, merchant_id, last4, created_at, revoked_at from api_keys where merchant_id = $1"
                        + " order by created_at desc, id desc",
                s -> s.bind("$1", merchantId), ApiKeyRepository::apiKey);
    }

    /**
     * Revokes the merchant's key (idempotent: revoking a revoked key keeps its first revocation time);
     * empty when the merchant has no such key.
     */
    public Mono<ApiKey> revoke(String merchantId, String keyId, Instant at) {
        return Sql.query(pool, "update api_keys set revoked_at = coalesce(revoked_at, $3) where id = $1 and merchant_id = $2"
                                + " returning id, merchant_id, last4, created_at, revoked_at",
                        s -> s.bind("$1", keyId).bind("$2", merchantId).bind("$3", at.atOffset(ZoneOffset.UTC)),
                        ApiKeyRepository::apiKey)
                .next()
                .doOnNext(revoked -> byDigest.values().removeIf(cached -> cached.keyId().equals(keyId)));
    }

    /** How many live keys the merchant has. */
    public Mono<Long> liveCount(String merchantId) {
        return Sql.query(pool, "select count(*) as n from api_keys where merchant_id = $1 and revoked_at is null",
                s -> s.bind("$1", merchantId), row -> row.get("n", Long.class)).next();
    }

    /**
     * Moves every key still stored as a plain SHA-256 digest to the keyed hash, in place; returns how many.
     * Runs at start-up, before any request is authenticated.
     */
    public Mono<Integer> rehashLegacy() {
        return Sql.query(pool, "select id, key_hash from api_keys where hash_scheme = 'sha256'", s -> s,
                        row -> Map.entry(row.get("id", String.class), row.get("key_hash", String.class)))
                .concatMap(legacy -> Sql.update(pool, "update api_keys set key_hash = $2, hash_scheme = 'hmac'"
                                + " where id = $1 and hash_scheme = 'sha256'",
                        s -> s.bind("$1", legacy.getKey()).bind("$2", keys.rehash(legacy.getValue()))))
                .reduce(0, (n, changed) -> n + changed.intValue());
    }

    private static ApiKey apiKey(io.r2dbc.spi.Readable row) {
        OffsetDateTime revoked = row.get("revoked_at", OffsetDateTime.class);
        return new ApiKey(row.get("id", String.class), row.get("merchant_id", String.class), row.get("last4", String.class),
                row.get("created_at", OffsetDateTime.class).toInstant(),
                Optional.ofNullable(revoked).map(OffsetDateTime::toInstant));
    }
}
