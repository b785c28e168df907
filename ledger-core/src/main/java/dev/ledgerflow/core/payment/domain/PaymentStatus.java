package dev.ledgerflow.core.payment.domain;

/**
 * Where a payment is in its life; public names are the constants in lower case.
 *
 * <p>{@code PROCESSING → REQUIRES_CAPTURE → SUCCEEDED} (manual), {@code PROCESSING → SUCCEEDED}
 * (automatic), or {@code FAILED} (from processing) or {@code CANCELED} (before capture). Refunds do
 * not change the status: a refunded payment stays succeeded, with an amount refunded.
 */
public enum PaymentStatus {
    PROCESSING,
    REQUIRES_CAPTURE,
    SUCCEEDED,
    FAILED,
    CANCELED
}
