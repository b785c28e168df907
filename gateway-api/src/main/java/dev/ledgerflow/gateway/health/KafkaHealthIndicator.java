package dev.ledgerflow.gateway.health;

import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.delivery.kafka.KafkaRelay;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * UP when the Kafka cluster describes itself within two seconds; the details tell the relay's topic,
 * place and lag. Registered only when the relay is on.
 */
public final class KafkaHealthIndicator implements ReactiveHealthIndicator {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final KafkaRelay relay;

    public KafkaHealthIndicator(KafkaRelay relay) {
        this.relay = relay;
    }

    @Override
    public Mono<Health> health() {
        FeedConsumer.Status status = relay.consumer().status();
        return relay.describeCluster(TIMEOUT)
                .map(cluster -> Health.up()
                        .withDetail("cluster_id", cluster.clusterId())
                        .withDetail("brokers", cluster.brokers()))
                .onErrorResume(e -> Mono.just(Health.down().withDetail("error", e.toString())))
                .map(health -> health
                        .withDetail("topic", relay.settings().topic())
                        .withDetail("relay_running", status.running())
                        .withDetail("relay_position", status.checkpoint().position())
                        .withDetail("relay_lag_events", relay.lag().events())
                        .build());
    }
}
