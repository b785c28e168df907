package dev.ledgerflow.core.codec;

/**
 * What is known about the cause of an event: whose it is, and the request or event that caused it.
 *
 * @param merchant the merchant that owns the event (the feed is filtered by it)
 * @param idempotencyKey the {@code Idempotency-Key} of the request, if any
 * @param requestId the HTTP request id, if any
 * @param causationId the id of the event that caused this one (for processor outcomes), if any
 */
public record EventMetadata(String merchant, String idempotencyKey, String requestId, String causationId) {

    public static EventMetadata of(String merchant) {
        return new EventMetadata(merchant, null, null, null);
    }

    public EventMetadata withIdempotencyKey(String key) {
        return new EventMetadata(merchant, key, requestId, causationId);
    }

    public EventMetadata withRequestId(String id) {
        return new EventMetadata(merchant, idempotencyKey, id, causationId);
    }

    public EventMetadata causedBy(String eventId) {
        return new EventMetadata(merchant, idempotencyKey, requestId, eventId);
    }
}
