package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.delivery.webhook.DestinationGuard;
import dev.ledgerflow.delivery.webhook.EventTypes;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import reactor.core.publisher.Mono;

/** The webhook API's request bodies and the checks that answer with its field problems. */
final class WebhookRequests {

    static final int EVENTS_MAX = 50;
    static final int LIMIT_DEFAULT = 20;
    static final int LIMIT_MAX = 100;
    static final int IDEMPOTENCY_KEY_LENGTH_MAX = 255;

    private WebhookRequests() {}

    record CreateEndpointRequest(String url, List<String> events, String description) {}

    record UpdateEndpointRequest(String url, List<String> events, String description, String status) {}

    record ReplayRequest(Long afterPosition) {}

    /** The URL in its stored form, once its form and its destination are acceptable. */
    static Mono<String> url(String url, DestinationGuard guard) {
        URI parsed;
        try {
            parsed = DestinationGuard.parse(url);
        } catch (DestinationGuard.Refused refused) {
            return Mono.error(ApiException.field(ApiError.URL_INVALID, "url", refused.getMessage()));
        }
        return guard.check(parsed)
                .onErrorMap(DestinationGuard.Refused.class, refused -> ApiException.field(ApiError.URL_INVALID, "url", refused.getMessage()))
                .thenReturn(parsed.toString());
    }

    static List<String> events(List<String> events) {
        if (events == null || events.isEmpty()) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "events",
                    "events is required: a list of event types, or [\"*\"] for all of them.");
        }
        if (events.size() > EVENTS_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "events", "events holds at most " + EVENTS_MAX + " types.");
        }
        for (int i = 0; i < events.size(); i++) {
            String type = events.get(i);
            if (type == null || !EventTypes.isValidFilter(type)) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "events[" + i + "]",
                        "'" + type + "' is not an event type; use \"*\" or one of " + String.join(", ", EventTypes.PUBLIC) + ".");
            }
        }
        return EventTypes.normalise(events);
    }

    static String description(String description) {
        return Requests.optionalText(description, "description");
    }

    static String endpointStatus(String status) {
        if (status != null && !status.equals(WebhookEndpoints.ENABLED) && !status.equals(WebhookEndpoints.DISABLED)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "status", "status must be enabled or disabled.");
        }
        return status;
    }

    static String deliveryStatus(String status) {
        if (status != null && !WebhookDeliveries.STATUSES.contains(status)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "status",
                    "status must be one of " + String.join(", ", WebhookDeliveries.STATUSES) + ".");
        }
        return status;
    }

    static long afterPosition(ReplayRequest request) {
        if (request == null || request.afterPosition() == null || request.afterPosition() < 0) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "after_position",
                    "after_position is required: the global position to replay after (0 for the beginning).");
        }
        return request.afterPosition();
    }

    static String idempotencyKey(String key) {
        if (key.isBlank() || key.length() > IDEMPOTENCY_KEY_LENGTH_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "Idempotency-Key", "Idempotency-Key must be 1 to 255 characters.");
        }
        return key;
    }

    /** The digest a request is recognised by under its idempotency key. */
    static String fingerprint(String source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    static int limit(Integer limit) {
        if (limit == null) {
            return LIMIT_DEFAULT;
        }
        if (limit < 1 || limit > LIMIT_MAX) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "limit", "limit must be from 1 to " + LIMIT_MAX + ".");
        }
        return limit;
    }
}
