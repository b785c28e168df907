package dev.ledgerflow.gateway.merchant;

import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.gateway.auth.ApiKeyRepository;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Merchants; their API keys are in {@link ApiKeyRepository}. */
@Repository
public class MerchantRepository {

    private final ConnectionPool pool;
    private final ApiKeyRepository apiKeys;

    MerchantRepository(ConnectionPool pool, ApiKeyRepository apiKeys) {
        this.pool = pool;
        this.apiKeys = apiKeys;
    }

    public record Merchant(String id, String name, Instant createdAt) {}

    /** Stores the merchant and its first API key, in one transaction. */
    Mono<Void> insert(Merchant merchant, String keyId, String apiKey) {
        return Sql.inTransaction(pool, c -> Sql.update(c, "insert into merchants (id, name, created_at) values ($1, $2, $3)",
                                merchant.id(), merchant.name(), merchant.createdAt().atOffset(ZoneOffset.UTC))
                        .then(apiKeys.insert(c, merchant.id(), keyId, apiKey, merchant.createdAt())))
                .then();
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
