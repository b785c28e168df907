package dev.ledgerflow.core.payment.domain;

/** Where a refund is in its life: {@code PENDING → SUCCEEDED | FAILED}; public names in lower case. */
public enum RefundStatus {
    /** Requested: its amount is reserved against the captured amount and held on settlement; nothing has moved yet. */
    PENDING,
    /** The money went back to the source. */
    SUCCEEDED,
    /** The acquirer declined it: nothing moved, its hold is released and its amount is refundable again. */
    FAILED
}
