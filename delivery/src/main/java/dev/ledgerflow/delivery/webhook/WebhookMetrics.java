package dev.ledgerflow.delivery.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The webhook meters: deliveries by outcome, attempt latency by status class, and gauges of the
 * queue (stream length, entries in flight, scheduled retries, dead letters, the age of the oldest
 * due delivery) that {@link DeliveryScheduler} samples.
 */
public final class WebhookMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
    private final Map<String, Timer> attempts = new ConcurrentHashMap<>();
    private final AtomicLong streamLength = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong scheduledRetries = new AtomicLong();
    private final AtomicLong dead = new AtomicLong();
    private final AtomicLong oldestDueMs = new AtomicLong();

    public WebhookMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("ledger.webhooks.queue.length", streamLength, AtomicLong::get)
                .description("Entries in the webhook stream: due deliveries not yet finished").register(registry);
        Gauge.builder("ledger.webhooks.queue.in_flight", inFlight, AtomicLong::get)
                .description("Stream entries read by a worker and not yet acknowledged").register(registry);
        Gauge.builder("ledger.webhooks.retries.scheduled", scheduledRetries, AtomicLong::get)
                .description("Deliveries whose last attempt failed, waiting for the next").register(registry);
        Gauge.builder("ledger.webhooks.dead", dead, AtomicLong::get)
                .description("Deliveries given up on (dead letters)").register(registry);
        Gauge.builder("ledger.webhooks.oldest_pending.age", oldestDueMs, ms -> ms.get() / 1000.0)
                .baseUnit("seconds")
                .description("How long the oldest due delivery has been waiting for its attempt").register(registry);
    }

    /** One delivery outcome: {@code succeeded}, {@code retry_scheduled}, {@code dead}, {@code endpoint_gone}, {@code abandoned}. */
    void outcome(String outcome) {
        outcomes.computeIfAbsent(outcome, o -> Counter.builder("ledger.webhooks.deliveries")
                        .description("Webhook attempts by what came of their delivery")
                        .tag("outcome", o)
                        .register(registry))
                .increment();
    }

    void attempt(AttemptResult result) {
        attempts.computeIfAbsent(result.statusClass(), s -> Timer.builder("ledger.webhooks.attempt")
                        .description("Duration of webhook POSTs by the class of their answer")
                        .tag("status", s)
                        .publishPercentileHistogram()
                        .register(registry))
                .record(result.duration());
    }

    void queue(WebhookQueue.State state) {
        streamLength.set(state.length());
        inFlight.set(state.inFlight());
    }

    void deliveries(WebhookDeliveries.Stats stats) {
        scheduledRetries.set(stats.scheduledRetries());
        dead.set(stats.dead());
        oldestDueMs.set(stats.oldestDueAge().toMillis());
    }
}
