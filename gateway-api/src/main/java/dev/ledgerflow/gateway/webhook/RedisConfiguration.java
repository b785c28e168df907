package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Redis client (Lettuce) and the one connection the service shares. */
@Configuration(proxyBeanMethods = false)
class RedisConfiguration {

    @Bean
    RedisURI redisUri(LedgerflowProperties properties) {
        if (properties.redisUrl() == null || properties.redisUrl().isBlank()) {
            throw new IllegalStateException("LEDGER_REDIS_URL is not set. Set it to redis://host:6379,"
                    + " or start the embedded default (see README.md).");
        }
        RedisURI uri = RedisURI.create(properties.redisUrl());
        uri.setTimeout(Duration.ofSeconds(5));
        return uri;
    }

    @Bean(destroyMethod = "shutdown")
    RedisClient redisClient(RedisURI uri) {
        return RedisClient.create(uri);
    }

    @Bean(destroyMethod = "close")
    SharedRedisConnection sharedRedisConnection(RedisClient client, RedisURI uri) {
        return new SharedRedisConnection(client, uri);
    }
}
