package dev.ledgerflow.projections.webhook;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.projections.redis.SharedRedisConnection;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A member of the stream's consumer group: reads delivery ids, takes each delivery in PostgreSQL
 * for one attempt, POSTs the signed event, records the outcome, and only then acknowledges the
 * entry ({@code XACK}, then {@code XDEL}). A worker that dies in between leaves its entry pending
 * in the group; after the visibility timeout any worker reclaims it ({@code XAUTOCLAIM}) and, since
 * the dead worker's hold in PostgreSQL has expired by then, attempts it again. A missing stream or
 * group ({@code NOGROUP}) is recreated and refilled by {@link DeliveryScheduler#restoreQueue()}.
 *
 * <p>Blocking reads ({@code XREADGROUP … BLOCK}) use a connection of their own, so they never hold
 * up the shared connection's other commands.
 */
public final class DeliveryWorker implements Disposable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
    private static final Duration FAILURE_PAUSE = Duration.ofMillis(500);

    private final String consumer;
    private final WebhookDeliveries deliveries;
    private final WebhookQueue queue;
    private final DeliveryScheduler scheduler;
    private final WebhookSender sender;
    private final DestinationGuard guard;
    private final RetryPolicy policy;
    private final WebhookSettings settings;
    private final WebhookMetrics metrics;
    private final Clock clock;
    private final SharedRedisConnection reader;
    private volatile Disposable running;
    private volatile boolean readFailing;

    public DeliveryWorker(String consumer, RedisClient client, RedisURI uri, WebhookDeliveries deliveries, WebhookQueue queue,
            DeliveryScheduler scheduler, WebhookSender sender, WebhookSettings settings, WebhookMetrics metrics, Clock clock) {
        this.consumer = consumer;
        this.deliveries = deliveries;
        this.queue = queue;
        this.scheduler = scheduler;
        this.sender = sender;
        this.guard = new DestinationGuard(settings.allowPrivateDestinations());
        this.policy = new RetryPolicy(settings);
        this.settings = settings;
        this.metrics = metrics;
        this.clock = clock;
        this.reader = new SharedRedisConnection(client, uri);
    }

    /** A consumer name unique to this process: its entries can be told apart, and reclaimed, after it dies. */
    public static String consumerName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "local");
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String consumer() {
        return consumer;
    }

    public synchronized DeliveryWorker start() {
        if (running != null && !running.isDisposed()) {
            return this;
        }
        Flux<StreamMessage<String, String>> fresh = Flux.defer(() -> reader.commands()
                        .flatMapMany(c -> queue.read(c, consumer, settings.concurrency(), settings.readBlock()))
                        .doOnComplete(() -> readFailing = false))
                .onErrorResume(error -> recover(error).thenMany(Flux.empty()))
                .repeat();
        Duration reclaimEvery = settings.visibilityTimeout().dividedBy(2);
        Flux<StreamMessage<String, String>> reclaimed = Flux.interval(reclaimEvery, reclaimEvery)
                .onBackpressureDrop()
                .concatMap(tick -> queue.reclaim(consumer, settings.visibilityTimeout(), settings.concurrency())
                        .onErrorResume(error -> recover(error).thenMany(Flux.empty())), 1);
        running = scheduler.restoreQueue()
                .onErrorResume(error -> Mono.empty()) // Redis may be down at start; reading retries
                .thenMany(Flux.merge(fresh, reclaimed))
                .flatMap(this::process, settings.concurrency())
                .subscribe(null, error -> log.error("Webhook worker {} stopped", consumer, error));
        log.info("Webhook worker {} reading {}", consumer, queue.key());
        return this;
    }

    /**
     * One stream entry: take its delivery, attempt it, record the outcome, acknowledge. A delivery
     * that is not due or held elsewhere makes the entry a duplicate, acknowledged at once. When the
     * database fails, the entry stays unacknowledged and is reclaimed later.
     */
    Mono<Void> process(StreamMessage<String, String> entry) {
        String deliveryId = entry.getBody().get(WebhookQueue.FIELD);
        if (deliveryId == null) {
            return acknowledge(entry);
        }
        return deliveries.claim(deliveryId, UUID.randomUUID(), settings.visibilityTimeout())
                .flatMap(this::attempt)
                .then(Mono.defer(() -> acknowledge(entry)))
                .onErrorResume(error -> {
                    log.warn("Webhook delivery {} not finished ({}); its entry {} will be reclaimed", deliveryId, error.toString(),
                            entry.getId());
                    return Mono.empty();
                });
    }

    private Mono<Void> attempt(WebhookDeliveries.Claimed claimed) {
        if (!claimed.endpointEnabled()) {
            metrics.outcome("abandoned");
            return deliveries.abandon(claimed, "the endpoint is disabled");
        }
        Instant startedAt = clock.instant();
        // A refused destination is a failed attempt like any other: the URL or its DNS may be fixed.
        return Mono.fromCallable(() -> DestinationGuard.parse(claimed.url()))
                .flatMap(guard::vet)
                .flatMap(destination -> send(claimed, destination, startedAt))
                .onErrorResume(DestinationGuard.Refused.class, refused ->
                        Mono.just(new AttemptResult(startedAt, Duration.ZERO, null, null, refused.getMessage(), null)))
                .flatMap(result -> record(claimed, result));
    }

    private Mono<AttemptResult> send(WebhookDeliveries.Claimed claimed, DestinationGuard.Destination destination, Instant startedAt) {
        String webhookId = PublicEvent.idOf(claimed.event());
        long timestamp = startedAt.getEpochSecond();
        byte[] body = WebhookBody.of(claimed.event());
        Map<String, String> headers = Map.of(
                "webhook-id", webhookId,
                "webhook-timestamp", Long.toString(timestamp),
                "webhook-signature", WebhookSecrets.signatureHeader(claimed.signingSecrets(), webhookId, timestamp, body));
        return sender.post(destination, headers, body, startedAt);
    }

    private Mono<Void> record(WebhookDeliveries.Claimed claimed, AttemptResult result) {
        metrics.attempt(result);
        RetryPolicy.Decision decision = policy.decide(claimed.roundAttempts() + 1, result, ThreadLocalRandom.current()::nextDouble);
        return switch (decision) {
            case RetryPolicy.Decision.Succeeded succeeded -> deliveries.record(claimed, result, WebhookDeliveries.SUCCEEDED, null, false)
                    .doOnSuccess(done -> metrics.outcome("succeeded"));
            case RetryPolicy.Decision.Retry retry -> deliveries.record(claimed, result, WebhookDeliveries.FAILED, retry.delay(), false)
                    .doOnSuccess(done -> metrics.outcome("retry_scheduled"));
            case RetryPolicy.Decision.Dead dead -> deliveries.record(claimed, withError(result, dead.reason()),
                            WebhookDeliveries.DEAD, null, false)
                    .doOnSuccess(done -> {
                        metrics.outcome("dead");
                        log.info("Webhook delivery {} to {} is dead: {}", claimed.deliveryId(), claimed.endpointId(), dead.reason());
                    });
            case RetryPolicy.Decision.EndpointGone gone -> deliveries.record(claimed, result, WebhookDeliveries.DEAD, null, true)
                    .doOnSuccess(done -> {
                        metrics.outcome("endpoint_gone");
                        log.info("Webhook endpoint {} answered 410 Gone: disabled", claimed.endpointId());
                    });
        };
    }

    private static AttemptResult withError(AttemptResult result, String reason) {
        String error = result.error() == null ? reason : result.error() + "; " + reason;
        return new AttemptResult(result.startedAt(), result.duration(), result.statusCode(), result.retryAfter(), error,
                result.responseExcerpt());
    }

    private Mono<Void> acknowledge(StreamMessage<String, String> entry) {
        // The outcome is recorded: if the stream is gone meanwhile there is nothing left to acknowledge.
        return queue.acknowledge(entry.getId()).onErrorResume(error -> {
            log.debug("Could not acknowledge webhook entry {}: {}", entry.getId(), error.toString());
            return Mono.empty();
        });
    }

    /** After a failed read or reclaim: recreate a lost stream, or pause while Redis is away. */
    private Mono<Void> recover(Throwable error) {
        if (WebhookQueue.isNoGroup(error)) {
            log.warn("Webhook stream {} or its group is missing (Redis flushed or restarted empty); restoring it", queue.key());
            return scheduler.restoreQueue().onErrorResume(e -> Mono.delay(FAILURE_PAUSE).then());
        }
        if (!readFailing) {
            readFailing = true;
            log.warn("Webhook worker {} cannot read the stream: {}; retrying", consumer, error.toString());
        }
        return Mono.delay(FAILURE_PAUSE).then();
    }

    @Override
    public void dispose() {
        Disposable current = running;
        if (current != null) {
            current.dispose();
        }
        reader.close();
    }

    @Override
    public boolean isDisposed() {
        Disposable current = running;
        return current == null || current.isDisposed();
    }
}
