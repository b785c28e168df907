package dev.ledgerflow.core.transfer.domain;

import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;

/** A transfer as its stream tells it. */
public sealed interface TransferState {

    /** No transfer on this stream yet. */
    record NoTransfer() implements TransferState {}

    /** A posted transfer: final, a transfer has no later states. */
    record Transfer(
            String transferId,
            String merchantId,
            String fromAccountId,
            String toAccountId,
            Money amount,
            String description,
            Instant createdAt)
            implements TransferState {}
}
