package dev.ledgerflow.core.eventstore;

import java.util.Objects;
import java.util.UUID;

/**
 * An event about to be appended. Payload and metadata are JSON documents (objects), already
 * serialised by the caller; the store keeps them as {@code jsonb}.
 */
public record NewEvent(UUID eventId, String type, String payloadJson, String metadataJson) {
    public NewEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payloadJson, "payloadJson");
        if (metadataJson == null || metadataJson.isBlank()) {
            metadataJson = "{}";
        }
        if (type.isBlank()) {
            throw new IllegalArgumentException("event type must not be blank");
        }
    }
}
