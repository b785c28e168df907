package dev.ledgerflow.gateway.merchant;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Merchants and the digests of their API keys; key look-ups are cached (keys never change). */
@Repository
public class MerchantRepository {

    private final ConnectionPool pool;
    private final Map<String, String> merchantIdByKeyHash = new ConcurrentHashMap<>();

    MerchantRepository(ConnectionPool pool) {
        this.pool = pool;
    }

    public record Merchant(String id, String name, Instant createdAt) {}

    Mono<Void> insert(Merchant merchant, String apiKeyHash) {
        return Mono.usingWhen(
                pool.create(),
                c -> Mono.from(c.createStatement(
                                "insert into merchants (id, name, api_key_hash, created_at) values ($1, $2, $3, $4)")
                        .bind("$1", merchant.id())
                        .bind("$2", merchant.name())
                        .bind("$3", apiKeyHash)
                        .bind("$4", merchant.createdAt().atOffset(ZoneOffset.UTC))
                        .execute())
                        .flatMap(r -> Mono.from(r.getRowsUpdated()))
                        .then(),
                Connection::close);
    }

    /** The merchant whose key has this digest, if any. */
    public Mono<Optional<String>> merchantIdForKeyHash(String apiKeyHash) {
        String cached = merchantIdByKeyHash.get(apiKeyHash);
        if (cached != null) {
            return Mono.just(Optional.of(cached));
        }
        return Flux.usingWhen(
                        pool.create(),
                        c -> Flux.from(c.createStatement("select id from merchants where api_key_hash = $1")
                                        .bind("$1", apiKeyHash)
                                        .execute())
                                .flatMap(r -> r.map(row -> row.get("id", String.class))),
                        Connection::close)
                .next()
                .doOnNext(id -> merchantIdByKeyHash.put(apiKeyHash, id))
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    public Mono<Merchant> find(String merchantId) {
        return Flux.usingWhen(
                        pool.create(),
                        c -> Flux.from(c.createStatement("select id, name, created_at from merchants where id = $1")
                                        .bind("$1", merchantId)
                                        .execute())
                                .flatMap(r -> r.map(row -> new Merchant(
                                        row.get("id", String.class),
                                        row.get("name", String.class),
                                        row.get("created_at", OffsetDateTime.class).toInstant()))),
                        Connection::close)
                .next();
    }
}
