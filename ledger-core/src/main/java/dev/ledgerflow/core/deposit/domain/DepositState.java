package dev.ledgerflow.core.deposit.domain;

import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;

/** A deposit as its stream tells it. */
public sealed interface DepositState {

    /** No deposit on this stream yet. */
    record NoDeposit() implements DepositState {}

    /** A posted deposit: final, a deposit has no later states. */
    record Deposit(String depositId, String merchantId, String accountId, Money amount, Instant createdAt)
            implements DepositState {}
}
