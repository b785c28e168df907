package dev.ledgerflow.core.payment.domain;

/** Where a refund is in its life: {@code PENDING → SUCCEEDED | FAILED}; public names in lower case. */
public enum RefundStatus {
    /** Requested: its amount is reserved against the captured amount, no money has moved yet. */
    PENDING,
    /** The money went back to the source. */
    SUCCEEDED,
    /** Nothing moved; its reserved amount is free again. */
    FAILED
}
