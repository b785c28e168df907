package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.decider.Rejection;

/**
 * Why a payment command is refused, in the order the decider checks: first the command on its own,
 * then against the stream. {@link #code()} is the public error code.
 */
public enum PaymentRejection implements Rejection {
    /** An amount named in the command is not within {@code 1 ≤ amount ≤ 10^12}. */
    AMOUNT_INVALID(false),
    /** The wallet account's currency is not the payment's. */
    CURRENCY_MISMATCH(false),
    /** No payment on this stream. */
    PAYMENT_NOT_FOUND(false),
    /** The stream already holds a payment: ids are never reused. */
    PAYMENT_EXISTS(false),
    /** The payment has no refund with this id. */
    REFUND_NOT_FOUND(false),
    /** The payment already has a refund with this id. */
    REFUND_EXISTS(false),
    /** The payment or refund is not in a state that allows the command (capture of a failed payment, …). */
    INVALID_STATE(false),
    /** A capture names more than was authorized. */
    CAPTURE_EXCEEDS_AUTHORIZED(false),
    /** Refunds requested and succeeded would exceed the captured amount (failed refunds do not count). */
    REFUND_EXCEEDS_CAPTURED(false),
    /**
     * The wallet's available balance cannot hold the amount. Never returned by {@code decide}: the
     * store's balance guard rejects the hold of {@code PaymentCreated} atomically at append time, and
     * the shell maps that answer to this value; nothing is stored. Retryable: a deposit may help.
     */
    INSUFFICIENT_FUNDS(true);

    private final boolean retryable;

    PaymentRejection(boolean retryable) {
        this.retryable = retryable;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
