package dev.ledgerflow.core.transfer.domain;

import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.posting.domain.Postings;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.core.transfer.domain.TransferEvent.TransferPosted;
import dev.ledgerflow.core.transfer.domain.TransferState.NoTransfer;
import dev.ledgerflow.core.transfer.domain.TransferState.Transfer;

/**
 * The decider of one transfer stream ({@code tr_…}): money between two accounts of one merchant.
 *
 * <p>Insufficient funds is deliberately not decided here. A balance read before deciding would be
 * stale under concurrent debits; the store checks the debit against the live balance atomically
 * when it appends, and the shell maps its answer to {@link TransferRejection#INSUFFICIENT_FUNDS}.
 */
public final class TransferDecider
        implements Decider<TransferCommand, TransferState, TransferEvent, TransferRejection> {

    @Override
    public TransferState initialState() {
        return new NoTransfer();
    }

    @Override
    public Decision<TransferEvent, TransferRejection> decide(TransferCommand command, TransferState state) {
        return switch (command) {
            case PostTransfer post -> post(post, state);
        };
    }

    @Override
    public TransferState evolve(TransferState state, TransferEvent event) {
        return switch (event) {
            case TransferPosted posted -> switch (state) {
                case NoTransfer none -> new Transfer(posted.transferId(), posted.merchantId(), posted.fromAccountId(),
                        posted.toAccountId(), posted.amount(), posted.description(), posted.at());
                case Transfer transfer -> throw new IllegalStateException(
                        "corrupt stream: " + posted.type() + " on posted transfer " + transfer.transferId());
            };
        };
    }

    private static Decision<TransferEvent, TransferRejection> post(PostTransfer command, TransferState state) {
        if (!command.amount().withinRequestLimits()) {
            return Decision.rejected(TransferRejection.AMOUNT_INVALID);
        }
        if (command.fromAccountId().equals(command.toAccountId())) {
            return Decision.rejected(TransferRejection.SAME_ACCOUNT);
        }
        if (!command.fromCurrency().equals(command.amount().currency())
                || !command.toCurrency().equals(command.amount().currency())) {
            return Decision.rejected(TransferRejection.CURRENCY_MISMATCH);
        }
        if (state instanceof Transfer) {
            return Decision.rejected(TransferRejection.TRANSFER_EXISTS);
        }
        var postings = Postings.move(command.amount(), command.fromAccountId(), command.toAccountId());
        return Decision.accepted(new TransferPosted(command.transferId(), command.merchantId(),
                command.fromAccountId(), command.toAccountId(), command.amount(), command.description(),
                command.at(), postings));
    }
}
