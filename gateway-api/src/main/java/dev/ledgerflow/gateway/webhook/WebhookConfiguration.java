package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import dev.ledgerflow.delivery.webhook.DeliveryScheduler;
import dev.ledgerflow.delivery.webhook.DeliveryWorker;
import dev.ledgerflow.delivery.webhook.DestinationGuard;
import dev.ledgerflow.delivery.webhook.SecretsCipher;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookDispatcher;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import dev.ledgerflow.delivery.webhook.WebhookMetrics;
import dev.ledgerflow.delivery.webhook.WebhookQueue;
import dev.ledgerflow.delivery.webhook.WebhookSender;
import dev.ledgerflow.delivery.webhook.WebhookSettings;
import dev.ledgerflow.gateway.cluster.PartitionedConsumer;
import dev.ledgerflow.gateway.config.ConsumersProperties;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Webhook delivery: endpoints and deliveries in PostgreSQL, the dispatcher on the feed, the Redis
 * stream with its worker and scheduler. With {@code ledger.webhooks.enabled=false} the API still
 * manages endpoints and deliveries, but this instance delivers nothing (another one does); the same with
 * {@code ledger.consumers.enabled=false}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WebhookProperties.class)
class WebhookConfiguration {

    @Bean
    WebhookSettings webhookSettings(WebhookProperties properties, PostgresSettings postgres) {
        String streamKey = properties.streamKey() == null || properties.streamKey().isBlank()
                ? WebhookSettings.defaultStreamKey(postgres.database())
                : properties.streamKey();
        return new WebhookSettings(properties.retrySchedule(), properties.retryJitter(), properties.retryAfterMax(),
                properties.requestTimeout(), properties.visibilityTimeout(), properties.requeueAfter(),
                properties.secretOverlap(), properties.concurrency(), properties.pollInterval(), Duration.ofSeconds(2),
                properties.allowPrivateDestinations(), streamKey);
    }

    @Bean
    DestinationGuard destinationGuard(WebhookSettings settings) {
        return new DestinationGuard(settings.allowPrivateDestinations());
    }

    @Bean
    WebhookEndpoints webhookEndpoints(ConnectionPool pool, SecretsCipher secretsCipher) {
        return new WebhookEndpoints(pool, secretsCipher);
    }

    /**
     * The webhook machinery's own PostgreSQL sessions, a bulkhead: the dispatcher keeps many events in
     * flight, and on the shared pool a burst of them queued the API's appends and reads behind it
     * (create-payment throughput fell to a quarter in the benchmark: docs/benchmarks.md).
     */
    record WebhookPostgres(ConnectionPool pool) implements AutoCloseable {
        @Override
        public void close() {
            pool.dispose();
        }
    }

    @Bean(destroyMethod = "close")
    WebhookPostgres webhookPostgres(PostgresSettings settings, WebhookProperties properties) {
        return new WebhookPostgres(PostgresConnections.pooled(settings, "ledgerflow-webhooks", properties.postgresPoolSize()));
    }

    @Bean
    WebhookDeliveries webhookDeliveries(WebhookPostgres postgres, SecretsCipher secretsCipher) {
        return new WebhookDeliveries(postgres.pool(), secretsCipher);
    }

    @Bean
    WebhookQueue webhookQueue(SharedRedisConnection redis, WebhookSettings settings) {
        return new WebhookQueue(redis, settings.streamKey());
    }

    @Bean
    WebhookMetrics webhookMetrics(MeterRegistry registry) {
        return new WebhookMetrics(registry);
    }

    @Bean(destroyMethod = "close")
    WebhookSender webhookSender(WebhookSettings settings) {
        return new WebhookSender(settings.requestTimeout());
    }

    @Bean(destroyMethod = "dispose")
    DeliveryScheduler deliveryScheduler(WebhookDeliveries deliveries, WebhookQueue queue, WebhookSettings settings,
            WebhookMetrics metrics, WebhookProperties properties, ConsumersProperties consumers) {
        DeliveryScheduler scheduler = new DeliveryScheduler(deliveries, queue, settings, metrics);
        return properties.enabled() && consumers.enabled() ? scheduler.start() : scheduler;
    }

    @Bean(destroyMethod = "dispose")
    DeliveryWorker deliveryWorker(RedisClient client, RedisURI uri, WebhookDeliveries deliveries, WebhookQueue queue,
            DeliveryScheduler scheduler, WebhookSender sender, WebhookSettings settings, WebhookMetrics metrics,
            WebhookProperties properties, ConsumersProperties consumers, Clock clock) {
        DeliveryWorker worker = new DeliveryWorker(DeliveryWorker.consumerName(), client, uri, deliveries, queue, scheduler,
                sender, settings, metrics, clock);
        return properties.enabled() && consumers.enabled() ? worker.start() : worker;
    }

    /** Not started here: it runs over the partitions this instance owns (see {@link #webhookDispatcherPartitions}). */
    @Bean(destroyMethod = "close")
    FeedConsumer webhookDispatcherConsumer(WebhookDeliveries deliveries, WebhookQueue queue, EventStore store,
            CheckpointStore checkpoints) {
        return new WebhookDispatcher(deliveries, queue).consumer(store, checkpoints);
    }

    /**
     * The dispatcher's share of the log's partitions: with N instances, each event's deliveries are made by one.
     * Holds none with {@code ledger.consumers.source=kafka} (see {@link KafkaConsumersConfiguration}).
     */
    @Bean(destroyMethod = "close")
    PartitionedConsumer webhookDispatcherPartitions(FeedConsumer webhookDispatcherConsumer,
            LeaseCoordinator coordinator, WebhookProperties properties, ConsumersProperties consumers) {
        return PartitionedConsumer.join(webhookDispatcherConsumer, coordinator,
                properties.enabled() && consumers.onPostgresFeed());
    }
}
