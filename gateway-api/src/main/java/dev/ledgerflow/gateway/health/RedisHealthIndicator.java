package dev.ledgerflow.gateway.health;

import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** UP when Redis answers PING within two seconds. */
@Component("redis")
class RedisHealthIndicator implements ReactiveHealthIndicator {

    private final SharedRedisConnection redis;

    RedisHealthIndicator(SharedRedisConnection redis) {
        this.redis = redis;
    }

    @Override
    public Mono<Health> health() {
        return redis.commands()
                .flatMap(commands -> commands.ping())
                .map(pong -> Health.up().withDetail("ping", pong).build())
                .timeout(Duration.ofSeconds(2))
                .onErrorResume(e -> Mono.just(Health.down().withDetail("error", e.toString()).build()));
    }
}
