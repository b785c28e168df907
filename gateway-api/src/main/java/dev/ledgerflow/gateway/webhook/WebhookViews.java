package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The webhook objects as the API shows them (snake_case through LedgerJson). */
final class WebhookViews {

    private WebhookViews() {}

    /** An endpoint; its secret is shown only when it is created or rotated. */
    record EndpointView(
            String id,
            String url,
            List<String> events,
            String description,
            String status,
            String disabledReason,
            Instant createdAt,
            Instant updatedAt) {

        static EndpointView of(WebhookEndpoints.Endpoint endpoint) {
            return new EndpointView(endpoint.id(), endpoint.url(), endpoint.events(), endpoint.description(), endpoint.status(),
                    endpoint.disabledReason(), endpoint.createdAt(), endpoint.updatedAt());
        }
    }

    record EndpointCreated(
            String id,
            String url,
            List<String> events,
            String description,
            String status,
            String secret,
            Instant createdAt,
            Instant updatedAt) {

        static EndpointCreated of(WebhookEndpoints.Endpoint endpoint) {
            return new EndpointCreated(endpoint.id(), endpoint.url(), endpoint.events(), endpoint.description(), endpoint.status(),
                    endpoint.secret(), endpoint.createdAt(), endpoint.updatedAt());
        }
    }

    record SecretRotated(String id, String secret, Instant previousSecretExpiresAt) {}

    record EndpointDeleted(String id, boolean deleted) {}

    record EndpointList(List<EndpointView> data, boolean hasMore) {}

    record ReplayStarted(String endpoint, long afterPosition, long deliveries) {}

    /** A delivery: {@code event} is the public event id, the {@code webhook-id} the receiver sees. */
    record DeliveryView(
            String id,
            String endpoint,
            String event,
            String eventType,
            long eventPosition,
            String status,
            int attempts,
            Integer lastStatusCode,
            String lastError,
            Instant nextAttemptAt,
            Instant lastAttemptAt,
            Instant createdAt,
            Instant updatedAt) {

        static DeliveryView of(WebhookDeliveries.Delivery delivery) {
            return new DeliveryView(delivery.id(), delivery.endpointId(), eventId(delivery.eventId()), delivery.eventType(),
                    delivery.eventPosition(), delivery.status(), delivery.attempts(), delivery.lastStatusCode(),
                    delivery.lastError(), delivery.nextAttemptAt(), delivery.lastAttemptAt(), delivery.createdAt(),
                    delivery.updatedAt());
        }
    }

    record DeliveryList(List<DeliveryView> data, boolean hasMore) {}

    record AttemptView(int attempt, Instant startedAt, long durationMs, Integer statusCode, String error, String responseBody) {

        static AttemptView of(WebhookDeliveries.Attempt attempt) {
            return new AttemptView(attempt.attempt(), attempt.startedAt(), attempt.durationMs(), attempt.statusCode(),
                    attempt.error(), attempt.responseBody());
        }
    }

    record AttemptList(List<AttemptView> data, boolean hasMore) {}

    /**
     * The queue for operators.
     *
     * @param streamLength entries in the stream (null when Redis does not answer)
     * @param inFlight entries read by a worker and not yet acknowledged
     * @param pending deliveries waiting for their first attempt (or put back by a retry or replay)
     * @param scheduledRetries deliveries whose last attempt failed, waiting for the next
     * @param deadLetters deliveries given up on
     * @param due deliveries whose attempt is due now
     * @param oldestPendingAgeMs how long the oldest due delivery has waited
     */
    record QueueView(
            String stream,
            boolean redisAvailable,
            Boolean groupExists,
            Long streamLength,
            Long inFlight,
            Long consumers,
            long pending,
            long scheduledRetries,
            long deadLetters,
            long due,
            long oldestPendingAgeMs) {}

    static String eventId(UUID eventId) {
        return "evt_" + eventId.toString().replace("-", "");
    }
}
