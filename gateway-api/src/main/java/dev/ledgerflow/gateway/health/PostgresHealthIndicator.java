package dev.ledgerflow.gateway.health;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** UP when PostgreSQL answers a query within two seconds. */
@Component("postgres")
class PostgresHealthIndicator implements ReactiveHealthIndicator {

    private final ConnectionPool pool;

    PostgresHealthIndicator(ConnectionPool pool) {
        this.pool = pool;
    }

    @Override
    public Mono<Health> health() {
        return Mono.usingWhen(
                        pool.create(),
                        c -> Flux.from(c.createStatement("select current_setting('server_version') as version").execute())
                                .flatMap(r -> r.map(row -> row.get("version", String.class)))
                                .next(),
                        Connection::close)
                .map(version -> Health.up().withDetail("version", version).build())
                .timeout(Duration.ofSeconds(2))
                .onErrorResume(e -> Mono.just(Health.down().withDetail("error", e.toString()).build()));
    }
}
