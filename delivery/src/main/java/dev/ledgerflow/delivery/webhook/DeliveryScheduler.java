package dev.ledgerflow.delivery.webhook;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Moves due deliveries from PostgreSQL onto the stream: retries whose time has come, deliveries put
 * back by a manual retry or a replay, and any due delivery whose stream entry may be lost (enqueued
 * longer ago than the requeue interval, or never, because Redis was down). Since the schedule lives
 * in PostgreSQL, retries survive a restart of the service and of Redis.
 *
 * <p>It also restores a lost stream: {@link #restoreQueue()} recreates the consumer group and, when
 * it had to, refills the stream with every due delivery. Workers call it on {@code NOGROUP}.
 */
public final class DeliveryScheduler implements Disposable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryScheduler.class);
    private static final int BATCH = 500;
    private static final Duration STATS_INTERVAL_MIN = Duration.ofSeconds(5);
    /** How often, and after how long without reading, consumers of processes gone are removed from the group. */
    static final Duration CONSUMER_SWEEP_INTERVAL = Duration.ofMinutes(1);
    static final Duration CONSUMER_IDLE_MAX = Duration.ofHours(1);

    private final WebhookDeliveries deliveries;
    private final WebhookQueue queue;
    private final WebhookSettings settings;
    private final WebhookMetrics metrics;
    private final Sinks.Many<Boolean> pokes = Sinks.many().multicast().directBestEffort();
    /** The restore under way, shared by every worker that hits NOGROUP at once. */
    private final AtomicReference<Mono<Void>> restoring = new AtomicReference<>();
    private volatile Disposable running;
    private volatile boolean queueFailing;

    public DeliveryScheduler(WebhookDeliveries deliveries, WebhookQueue queue, WebhookSettings settings, WebhookMetrics metrics) {
        this.deliveries = deliveries;
        this.queue = queue;
        this.settings = settings;
        this.metrics = metrics;
    }

    public synchronized DeliveryScheduler start() {
        if (running != null && !running.isDisposed()) {
            return this;
        }
        Duration statsInterval = settings.pollInterval().compareTo(STATS_INTERVAL_MIN) > 0 ? settings.pollInterval() : STATS_INTERVAL_MIN;
        Disposable ticks = Flux.merge(Flux.interval(Duration.ZERO, settings.pollInterval()).map(tick -> true), pokes.asFlux())
                .onBackpressureDrop()
                .concatMap(tick -> tick(), 1)
                .subscribe();
        Disposable sampling = Flux.interval(Duration.ZERO, statsInterval)
                .onBackpressureDrop()
                .concatMap(tick -> sample(), 1)
                .subscribe();
        Disposable consumerSweep = Flux.interval(CONSUMER_SWEEP_INTERVAL, CONSUMER_SWEEP_INTERVAL)
                .onBackpressureDrop()
                .concatMap(tick -> forgetIdleConsumers(), 1)
                .subscribe();
        running = Disposables.composite(ticks, sampling, consumerSweep);
        return this;
    }

    /** Runs a round now instead of at the next poll (after a manual retry or a replay). */
    public void poke() {
        pokes.tryEmitNext(true);
    }

    /**
     * Makes sure the consumer group exists; if it had to be created, the stream was lost (or is new),
     * so every due delivery is put on it again. Concurrent callers share one run.
     */
    public Mono<Void> restoreQueue() {
        return Mono.defer(() -> {
            Mono<Void> restore = queue.ensureGroup()
                    .flatMap(created -> created ? refill() : Mono.<Void>empty())
                    .doFinally(signal -> restoring.set(null))
                    .cache();
            Mono<Void> underWay = restoring.compareAndExchange(null, restore);
            return underWay != null ? underWay : restore;
        });
    }

    private Mono<Void> refill() {
        return deliveries.takeAllDue()
                .buffer(BATCH)
                .concatMap(ids -> queue.add(ids).thenReturn(ids.size()))
                .reduce(0, Integer::sum)
                .doOnNext(count -> {
                    if (count > 0) {
                        log.warn("Webhook stream {} was missing: recreated its group and refilled {} due deliveries"
                                + " from PostgreSQL", queue.key(), count);
                    } else {
                        log.info("Webhook stream {}: consumer group {} created", queue.key(), WebhookSettings.GROUP);
                    }
                })
                .then();
    }

    private Mono<Void> tick() {
        return deliveries.takeDue(BATCH, settings.requeueAfter())
                .collectList()
                .flatMap(this::enqueue)
                .onErrorResume(error -> {
                    log.warn("Webhook scheduler round failed; trying again at the next one", error);
                    return Mono.empty();
                });
    }

    private Mono<Void> enqueue(List<String> ids) {
        if (ids.isEmpty()) {
            return Mono.empty();
        }
        return queue.add(ids)
                .doOnSuccess(done -> {
                    if (queueFailing) {
                        queueFailing = false;
                        log.info("Webhook stream {} reachable again", queue.key());
                    }
                })
                .onErrorResume(error -> {
                    if (!queueFailing) {
                        queueFailing = true;
                        log.warn("Could not put {} due webhook deliveries on the stream; they stay due in PostgreSQL",
                                ids.size(), error);
                    }
                    return deliveries.markNotEnqueued(ids);
                });
    }

    /** Removes consumers that hold nothing and have not read for an hour: processes that are gone. */
    Mono<Void> forgetIdleConsumers() {
        return queue.forgetIdleConsumers(CONSUMER_IDLE_MAX)
                .doOnNext(name -> log.info("Webhook stream {}: removed consumer {} of group {} (idle over {}, holding nothing)",
                        queue.key(), name, WebhookSettings.GROUP, CONSUMER_IDLE_MAX))
                .then()
                .onErrorResume(error -> {
                    log.debug("Webhook stream {}: idle consumers not removed this time", queue.key(), error);
                    return Mono.empty();
                });
    }

    private Mono<Void> sample() {
        return Mono.when(
                        queue.state().doOnNext(metrics::queue).onErrorResume(e -> Mono.empty()),
                        deliveries.stats().doOnNext(metrics::deliveries).onErrorResume(e -> Mono.empty()));
    }

    @Override
    public void dispose() {
        Disposable current = running;
        if (current != null) {
            current.dispose();
        }
    }

    @Override
    public boolean isDisposed() {
        Disposable current = running;
        return current == null || current.isDisposed();
    }
}
