package dev.ledgerflow.core.payment.domain;

/** When an approved payment is captured; public names are the constants in lower case. */
public enum CaptureMethod {
    /** Captured in full as soon as the acquirer approves. */
    AUTOMATIC,
    /** Approved funds wait in {@code requires_capture} until the merchant captures (or cancels). */
    MANUAL
}
