package dev.ledgerflow.delivery.webhook;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How webhooks are delivered.
 *
 * @param retrySchedule the wait before each attempt: the first (usually zero) before the first
 *     attempt, then one per retry; its length is the number of attempts before a delivery is dead
 * @param retryJitter each wait is stretched or shrunk at random by up to this fraction (0.1 = ±10 %),
 *     so that deliveries failed together do not all come back together
 * @param retryAfterMax the longest wait a receiver's {@code Retry-After} may ask for
 * @param requestTimeout one POST may take this long before it counts as failed
 * @param visibilityTimeout an attempt holds its delivery this long; afterwards a crashed worker's
 *     stream entry is reclaimed ({@code XAUTOCLAIM}) and tried again. Longer than the request timeout.
 * @param requeueAfter a delivery that is due but was put on the stream longer ago than this is put
 *     on it again (a lost entry, a crash between the database and Redis)
 * @param secretOverlap after a rotation, the previous secret keeps signing for this long
 * @param concurrency attempts in flight at once in this instance
 * @param pollInterval how often due retries are moved onto the stream and queue gauges are sampled
 * @param readBlock the longest a worker waits in one {@code XREADGROUP … BLOCK}
 * @param allowPrivateDestinations allow endpoints on loopback, private and link-local addresses
 *     (development and tests); off in production to guard against SSRF
 * @param streamKey the Redis stream; the consumer group is {@link #GROUP}
 */
public record WebhookSettings(
        List<Duration> retrySchedule,
        double retryJitter,
        Duration retryAfterMax,
        Duration requestTimeout,
        Duration visibilityTimeout,
        Duration requeueAfter,
        Duration secretOverlap,
        int concurrency,
        Duration pollInterval,
        Duration readBlock,
        boolean allowPrivateDestinations,
        String streamKey) {

    /** The consumer group of the delivery workers. */
    public static final String GROUP = "webhook-workers";

    /** Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 32 hours. */
    public static final List<Duration> DEFAULT_SCHEDULE = List.of(Duration.ZERO, Duration.ofSeconds(5),
            Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10),
            Duration.ofHours(10));

    public WebhookSettings {
        retrySchedule = List.copyOf(Objects.requireNonNull(retrySchedule, "retrySchedule"));
        if (retrySchedule.isEmpty() || retrySchedule.stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException("the retry schedule needs at least one wait, none negative");
        }
        if (!(retryJitter >= 0 && retryJitter < 1)) {
            throw new IllegalArgumentException("retryJitter must be in [0, 1): " + retryJitter);
        }
        requirePositive(retryAfterMax, "retryAfterMax");
        requirePositive(requestTimeout, "requestTimeout");
        requirePositive(visibilityTimeout, "visibilityTimeout");
        requirePositive(requeueAfter, "requeueAfter");
        requirePositive(secretOverlap, "secretOverlap");
        requirePositive(pollInterval, "pollInterval");
        requirePositive(readBlock, "readBlock");
        // An attempt that outlives its hold could be reclaimed and sent twice at once.
        if (visibilityTimeout.compareTo(requestTimeout.plusSeconds(1)) < 0) {
            throw new IllegalArgumentException("visibilityTimeout (" + visibilityTimeout
                    + ") must exceed requestTimeout (" + requestTimeout + ") by at least 1 s");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be positive");
        }
        if (streamKey == null || streamKey.isBlank()) {
            throw new IllegalArgumentException("streamKey is required");
        }
    }

    /** Production defaults on the given stream. */
    public static WebhookSettings defaults(String streamKey) {
        return new WebhookSettings(DEFAULT_SCHEDULE, 0.1, Duration.ofHours(24), Duration.ofSeconds(15),
                Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofHours(24), 32, Duration.ofSeconds(1),
                Duration.ofSeconds(2), false, streamKey);
    }

    /** The default stream of the ledger in one database: instances sharing the database share it. */
    public static String defaultStreamKey(String database) {
        return "ledgerflow:" + database + ":webhooks";
    }

    /** Attempts before a delivery is dead. */
    public int attemptsMax() {
        return retrySchedule.size();
    }

    public WebhookSettings withRetrySchedule(List<Duration> schedule) {
        return new WebhookSettings(schedule, retryJitter, retryAfterMax, requestTimeout, visibilityTimeout, requeueAfter,
                secretOverlap, concurrency, pollInterval, readBlock, allowPrivateDestinations, streamKey);
    }

    public WebhookSettings withTimeouts(Duration request, Duration visibility) {
        return new WebhookSettings(retrySchedule, retryJitter, retryAfterMax, request, visibility, requeueAfter,
                secretOverlap, concurrency, pollInterval, readBlock, allowPrivateDestinations, streamKey);
    }

    public WebhookSettings withPolling(Duration poll, Duration block, Duration requeue) {
        return new WebhookSettings(retrySchedule, retryJitter, retryAfterMax, requestTimeout, visibilityTimeout, requeue,
                secretOverlap, concurrency, poll, block, allowPrivateDestinations, streamKey);
    }

    public WebhookSettings withPrivateDestinations(boolean allow) {
        return new WebhookSettings(retrySchedule, retryJitter, retryAfterMax, requestTimeout, visibilityTimeout, requeueAfter,
                secretOverlap, concurrency, pollInterval, readBlock, allow, streamKey);
    }

    public WebhookSettings withJitter(double jitter) {
        return new WebhookSettings(retrySchedule, jitter, retryAfterMax, requestTimeout, visibilityTimeout, requeueAfter,
                secretOverlap, concurrency, pollInterval, readBlock, allowPrivateDestinations, streamKey);
    }

    private static void requirePositive(Duration duration, String what) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
    }
}
