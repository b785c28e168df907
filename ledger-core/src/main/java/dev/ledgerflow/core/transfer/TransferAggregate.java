package dev.ledgerflow.core.transfer;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.transfer.domain.TransferCommand;
import dev.ledgerflow.core.transfer.domain.TransferDecider;
import dev.ledgerflow.core.transfer.domain.TransferEvent;
import dev.ledgerflow.core.transfer.domain.TransferEvent.TransferPosted;
import dev.ledgerflow.core.transfer.domain.TransferRejection;
import dev.ledgerflow.core.transfer.domain.TransferState;
import java.time.Instant;
import java.util.Map;

/** Transfers ({@code tr_…} streams) between two accounts of one merchant. */
public final class TransferAggregate
        implements Aggregate<TransferCommand, TransferState, TransferEvent, TransferRejection> {

    public static final TransferAggregate INSTANCE = new TransferAggregate();

    private static final TransferDecider DECIDER = new TransferDecider();
    private static final EventCodec<TransferEvent> CODEC =
            new EventCodec<>(Map.of(TransferPosted.TYPE, TransferPosted.class), TransferEvent::type);

    private TransferAggregate() {}

    /** A transfer as the API shows it: a posted transfer is final. */
    public record TransferView(
            String id, String status, String fromAccount, String toAccount, long amount, String currency,
            String description, Instant createdAt) {
        public static TransferView of(TransferState.Transfer transfer) {
            return new TransferView(transfer.transferId(), "posted", transfer.fromAccountId(), transfer.toAccountId(),
                    transfer.amount().amountMinor(), transfer.amount().currency().code(), transfer.description(),
                    transfer.createdAt());
        }
    }

    @Override
    public Decider<TransferCommand, TransferState, TransferEvent, TransferRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<TransferEvent> codec() {
        return CODEC;
    }

    @Override
    public Object publicObject(TransferState stateAfter, TransferEvent event) {
        return TransferView.of((TransferState.Transfer) stateAfter);
    }
}
