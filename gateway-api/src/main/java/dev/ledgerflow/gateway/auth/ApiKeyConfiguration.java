package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.gateway.config.LedgerflowProperties;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Merchants' API keys: the keyed hash they are stored under, and the start-up step that moves keys
 * stored as plain SHA-256 digests (before {@code V210}) to it. The service does not start without the
 * hash key: a missing one would make every stored key unusable, or be silently replaced.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ApiKeyProperties.class)
class ApiKeyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyConfiguration.class);

    @Bean
    AdminKey adminKey(LedgerflowProperties properties) {
        return AdminKey.fromProperties(properties);
    }

    @Bean
    ApiKeys apiKeys(ApiKeyProperties properties) {
        String key = properties.hashKey();
        if (key == null || key.strip().length() < 16) {
            throw new IllegalStateException(ApiKeyProperties.HASH_KEY_VARIABLE + " is not set (or shorter than 16"
                    + " characters). Merchants' API keys are stored as HMAC-SHA256 under it: set it to a long random"
                    + " secret, e.g. the output of `openssl rand -base64 32`, the same on every instance, kept as long as"
                    + " the database. The embedded default (./mvnw -pl gateway-api -am spring-boot:test-run) generates one"
                    + " in .data/.");
        }
        return new ApiKeys(key.strip().getBytes(StandardCharsets.UTF_8));
    }

    @Bean
    ApiKeyRepository apiKeyRepository(ConnectionPool pool, ApiKeys keys, ApiKeyProperties properties, Clock clock) {
        ApiKeyRepository repository = new ApiKeyRepository(pool, keys, properties.cacheTtl(), clock);
        // Start-up, not a reactive chain: no key is checked before every stored one is under the keyed hash.
        Integer rehashed = repository.rehashLegacy().block();
        if (rehashed != null && rehashed > 0) {
            log.info("API keys: moved {} keys stored as plain SHA-256 to the keyed hash (HMAC-SHA256)", rehashed);
        }
        return repository;
    }
}
