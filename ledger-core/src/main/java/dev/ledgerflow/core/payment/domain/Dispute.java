package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Objects;

/**
 * A payment's dispute (chargeback), as the payment's stream tells it. A payment has at most one.
 *
 * @param amount what the customer disputed: what was captured and not refunded or reserved by a refund
 */
public record Dispute(Money amount, DisputeStatus status, Instant createdAt) {

    public Dispute {
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** What the dispute keeps from being refunded: all of it while open or once lost, nothing once won. */
    long amountReservedMinor() {
        return status == DisputeStatus.WON ? 0 : amount.amountMinor();
    }

    Dispute resolved(DisputeStatus outcome) {
        return new Dispute(amount, outcome, createdAt);
    }
}
