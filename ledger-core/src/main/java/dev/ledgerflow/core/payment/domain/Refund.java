package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Objects;

/**
 * A refund of a payment, as the payment's stream tells it.
 *
 * @param reason free text, or null
 * @param failureCode why it failed; null unless {@link RefundStatus#FAILED}
 * @param held whether its creation held its amount on the settlement account (every refund but those
 *     recorded before refunds did), so that its outcome releases the hold
 */
public record Refund(
        String refundId, Money amount, RefundStatus status, String reason, FailureCode failureCode, Instant createdAt,
        boolean held) {

    public Refund {
        Objects.requireNonNull(refundId, "refundId");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        if ((status == RefundStatus.FAILED) != (failureCode != null)) {
            throw new IllegalArgumentException("a failure code belongs to a failed refund, and only to one");
        }
    }

    Refund succeeded() {
        return new Refund(refundId, amount, RefundStatus.SUCCEEDED, reason, null, createdAt, held);
    }

    Refund failed(FailureCode code) {
        return new Refund(refundId, amount, RefundStatus.FAILED, reason, code, createdAt, held);
    }
}
