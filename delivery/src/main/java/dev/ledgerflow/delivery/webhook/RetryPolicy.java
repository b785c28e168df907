package dev.ledgerflow.delivery.webhook;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * What follows an attempt, by the rules of DESIGN.md "Webhooks" and the Standard Webhooks
 * etiquette: a 2xx succeeds; {@code 410 Gone} means the receiver wants no more, so the endpoint is
 * disabled and the delivery is dead; anything else is retried after the next wait of the schedule,
 * jittered, and not before a {@code Retry-After} on 429 and 503; after the last attempt the delivery
 * is dead. Pure: the random source is passed in.
 */
public final class RetryPolicy {

    private final WebhookSettings settings;

    public RetryPolicy(WebhookSettings settings) {
        this.settings = settings;
    }

    /** The outcome of an attempt for its delivery. */
    public sealed interface Decision {

        record Succeeded() implements Decision {}

        /** Try again after {@code delay}. */
        record Retry(Duration delay) implements Decision {}

        /** No more automatic attempts. */
        record Dead(String reason) implements Decision {}

        /** The receiver answered 410: the endpoint is disabled and the delivery is dead. */
        record EndpointGone() implements Decision {}
    }

    /**
     * @param roundAttempts attempts made since the schedule (re)started, this one included
     * @param random uniform in [0, 1)
     */
    public Decision decide(int roundAttempts, AttemptResult result, DoubleSupplier random) {
        if (roundAttempts < 1) {
            throw new IllegalArgumentException("an attempt was made, so roundAttempts >= 1: " + roundAttempts);
        }
        if (result.succeeded()) {
            return new Decision.Succeeded();
        }
        if (result.statusCode() != null && result.statusCode() == 410) {
            return new Decision.EndpointGone();
        }
        if (roundAttempts >= settings.attemptsMax()) {
            return new Decision.Dead("no success after " + roundAttempts + " attempts");
        }
        Duration delay = jittered(settings.retrySchedule().get(roundAttempts), random.getAsDouble());
        Integer status = result.statusCode();
        if (status != null && (status == 429 || status == 503) && result.retryAfter() != null) {
            Duration asked = min(result.retryAfter(), settings.retryAfterMax());
            delay = asked.compareTo(delay) > 0 ? asked : delay;
        }
        return new Decision.Retry(delay);
    }

    /** {@code wait} stretched or shrunk by up to the jitter fraction; {@code random} in [0, 1). */
    Duration jittered(Duration wait, double random) {
        double factor = 1 + settings.retryJitter() * (2 * random - 1);
        return Duration.ofNanos(Math.round(wait.toNanos() * factor));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
