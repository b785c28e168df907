package dev.ledgerflow.core.payment.processor;

import java.time.Duration;

/**
 * Tuning of the payment processor and of the simulated acquirer it talks to.
 *
 * @param acquirerLatency how long the simulated acquirer takes to answer (a real acquirer ignores it)
 * @param attemptTimeout how long one authorization attempt may take before it counts as a timeout
 * @param attemptsMax authorization attempts per payment, the first included
 * @param retryDelayFirst the wait before the second attempt; it doubles for each further one …
 * @param retryDelayMax … up to this
 * @param retryJitter how far (a fraction, 0 to 1) each wait is moved at random, so that payments that
 *     failed together do not retry together
 * @param concurrency events the processor handles at once: slow acquirer calls must not serialise the feed
 */
public record ProcessorSettings(
        Duration acquirerLatency,
        Duration attemptTimeout,
        int attemptsMax,
        Duration retryDelayFirst,
        Duration retryDelayMax,
        double retryJitter,
        int concurrency) {

    public ProcessorSettings {
        if (acquirerLatency == null || acquirerLatency.isNegative()) {
            throw new IllegalArgumentException("acquirerLatency must not be negative");
        }
        requirePositive(attemptTimeout, "attemptTimeout");
        requirePositive(retryDelayFirst, "retryDelayFirst");
        requirePositive(retryDelayMax, "retryDelayMax");
        if (attemptsMax < 1 || concurrency < 1) {
            throw new IllegalArgumentException("attemptsMax and concurrency must be positive");
        }
        if (!(retryJitter >= 0 && retryJitter <= 1)) {
            throw new IllegalArgumentException("retryJitter must be within 0..1");
        }
    }

    /** 20 ms latency; 2 s per attempt; 4 attempts, 100 ms then doubling up to 2 s, ±50 % jitter; 256 at once. */
    public static ProcessorSettings defaults() {
        return new ProcessorSettings(Duration.ofMillis(20), Duration.ofSeconds(2), 4, Duration.ofMillis(100),
                Duration.ofSeconds(2), 0.5, 256);
    }

    /** The longest one payment can take with the acquirer: every attempt timing out, every wait at its longest. */
    public Duration authorizationDurationMax() {
        return attemptTimeout.multipliedBy(attemptsMax).plus(retryDelayMax.multipliedBy(attemptsMax - 1L));
    }

    private static void requirePositive(Duration duration, String what) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
    }
}
