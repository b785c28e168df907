package dev.ledgerflow.core.deposit;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.deposit.domain.DepositCommand;
import dev.ledgerflow.core.deposit.domain.DepositDecider;
import dev.ledgerflow.core.deposit.domain.DepositEvent;
import dev.ledgerflow.core.deposit.domain.DepositEvent.DepositPosted;
import dev.ledgerflow.core.deposit.domain.DepositRejection;
import dev.ledgerflow.core.deposit.domain.DepositState;
import java.time.Instant;
import java.util.Map;

/** Deposits ({@code dep_…} streams): external funding into an account. */
public final class DepositAggregate implements Aggregate<DepositCommand, DepositState, DepositEvent, DepositRejection> {

    public static final DepositAggregate INSTANCE = new DepositAggregate();

    private static final DepositDecider DECIDER = new DepositDecider();
    private static final EventCodec<DepositEvent> CODEC =
            new EventCodec<>(Map.of(DepositPosted.TYPE, DepositPosted.class), DepositEvent::type);

    private DepositAggregate() {}

    /** A deposit as the API shows it. */
    public record DepositView(String id, String account, long amount, String currency, Instant createdAt) {
        public static DepositView of(DepositState.Deposit deposit) {
            return new DepositView(deposit.depositId(), deposit.accountId(), deposit.amount().amountMinor(),
                    deposit.amount().currency().code(), deposit.createdAt());
        }
    }

    @Override
    public Decider<DepositCommand, DepositState, DepositEvent, DepositRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<DepositEvent> codec() {
        return CODEC;
    }

    @Override
    public Object publicObject(DepositState stateAfter, DepositEvent event) {
        return DepositView.of((DepositState.Deposit) stateAfter);
    }
}
