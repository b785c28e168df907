package dev.ledgerflow.delivery.webhook;

import java.time.Duration;
import java.time.Instant;

/**
 * What one POST to an endpoint came to.
 *
 * @param statusCode the receiver's HTTP status; null when none came (refused destination, connection
 *     failure, timeout)
 * @param retryAfter the receiver's {@code Retry-After}, when it sent a usable one
 * @param error why it failed without a status, or a short description of a failing status; null on success
 * @param responseExcerpt the start of the receiver's answer, for the attempt log
 */
public record AttemptResult(
        Instant startedAt, Duration duration, Integer statusCode, Duration retryAfter, String error, String responseExcerpt) {

    public boolean succeeded() {
        return statusCode != null && statusCode >= 200 && statusCode < 300;
    }

    /** A label for metrics: {@code 2xx}, {@code 4xx}, {@code 5xx}, … or {@code error} when no status came. */
    public String statusClass() {
        return statusCode == null ? "error" : (statusCode / 100) + "xx";
    }
}
