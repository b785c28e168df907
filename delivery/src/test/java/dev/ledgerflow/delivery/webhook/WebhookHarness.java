package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import dev.ledgerflow.testing.TestPostgres;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The webhook machinery of one service instance, wired as the application wires it, over a fresh
 * database of the test PostgreSQL and a stream of its own on a real Redis. {@link #stopService()}
 * and {@link #startService()} play a restart; {@link #worker(ConnectionPool)} adds a worker with a
 * database pool of its own, that a test can kill. Webhook secrets are stored sealed under a key of
 * the harness's own ({@link #cipher}).
 */
final class WebhookHarness implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    final PostgresSettings database;
    final ConnectionPool pool;
    final PostgresEventStore store;
    final CheckpointStore checkpoints;
    final RedisClient redis;
    final RedisURI redisUri;
    final SharedRedisConnection shared;
    final WebhookSettings settings;
    final SecretsCipher cipher;
    final WebhookEndpoints endpoints;
    final WebhookDeliveries deliveries;
    final WebhookQueue queue;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final WebhookMetrics metrics = new WebhookMetrics(registry);
    final WebhookSender sender;
    private final List<AutoCloseable> running = new ArrayList<>();
    DeliveryScheduler scheduler;
    FeedConsumer dispatcher;

    WebhookHarness(String redisUrl, WebhookSettings settings) {
        this(redisUrl, settings, new SecretsCipher(SecretsKey.generate("the harness's key")));
    }

    WebhookHarness(String redisUrl, WebhookSettings settings, SecretsCipher cipher) {
        this.database = TestPostgres.freshDatabase();
        this.pool = PostgresConnections.pooled(database, "webhook-test", 10);
        this.store = new PostgresEventStore(pool, PostgresConnections.direct(database, "webhook-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        this.checkpoints = new CheckpointStore(pool);
        this.redisUri = RedisURI.create(redisUrl);
        this.redis = RedisClient.create(redisUri);
        this.shared = new SharedRedisConnection(redis, redisUri);
        this.settings = settings;
        this.cipher = cipher;
        this.endpoints = new WebhookEndpoints(pool, cipher);
        this.deliveries = new WebhookDeliveries(pool, cipher);
        this.queue = new WebhookQueue(shared, settings.streamKey());
        this.sender = new WebhookSender(settings.requestTimeout());
    }

    /** Compressed timings for tests: the given schedule, 1 s requests, a 3 s visibility timeout, fast polling. */
    static WebhookSettings testSettings(List<Duration> schedule) {
        return WebhookSettings.defaults("test:webhooks:" + UUID.randomUUID())
                .withRetrySchedule(schedule)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3))
                .withPolling(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(30))
                .withPrivateDestinations(true);
    }

    /** Scheduler, one worker and the dispatcher, as one service instance runs them. */
    WebhookHarness startService() {
        scheduler = new DeliveryScheduler(deliveries, queue, settings, metrics).start();
        running.add(scheduler::dispose);
        worker(null);
        dispatcher = new WebhookDispatcher(deliveries, queue).consumer(store, checkpoints).start();
        running.add(() -> dispatcher.stop().block(WAIT));
        return this;
    }

    /** Stops everything this instance runs, like a crash that keeps PostgreSQL and Redis. */
    void stopService() {
        for (AutoCloseable closeable : running.reversed()) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        running.clear();
    }

    /** Starts a worker; with {@code ownPool} it uses that database pool (which a test may dispose to kill it). */
    DeliveryWorker worker(ConnectionPool ownPool) {
        WebhookDeliveries repository = ownPool == null ? deliveries : new WebhookDeliveries(ownPool, cipher);
        DeliveryWorker worker = new DeliveryWorker(DeliveryWorker.consumerName(), redis, redisUri, repository, queue, scheduler,
                sender, settings, metrics, Clock.systemUTC()).start();
        running.add(worker::dispose);
        return worker;
    }

    WebhookEndpoints.Endpoint endpoint(String merchant, String url, String... events) {
        return endpoints.create(merchant, url, List.of(events), null, java.time.Instant.now()).block(WAIT);
    }

    /**
     * Appends one event of {@code type} for {@code merchant} on a stream of its own; returns its public id
     * ({@code evt_…}), what the receiver sees as {@code webhook-id}.
     */
    String append(String merchant, String type, Map<String, Object> data) {
        UUID id = UUID.randomUUID();
        String payload = LedgerJson.mapper().writeValueAsString(Map.of("event", Map.of(), "data", data));
        String metadata = LedgerJson.mapper().writeValueAsString(Map.of("merchant", merchant));
        AppendResult result = store.append(StreamId.of("test_" + id), ExpectedVersion.noStream(),
                List.of(new NewEvent(id, type, payload, metadata))).block(WAIT);
        if (!(result instanceof AppendResult.Appended)) {
            throw new IllegalStateException("append failed: " + result);
        }
        return "evt_" + id.toString().replace("-", "");
    }

    List<WebhookDeliveries.Delivery> deliveriesOf(String merchant) {
        return deliveries.list(merchant, null, null, 1000, null).collectList().block(WAIT);
    }

    @Override
    public void close() {
        stopService();
        sender.close();
        shared.close();
        redis.shutdown();
        store.close();
        pool.dispose();
    }
}
