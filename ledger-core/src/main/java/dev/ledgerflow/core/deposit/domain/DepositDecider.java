package dev.ledgerflow.core.deposit.domain;

import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.deposit.domain.DepositEvent.DepositPosted;
import dev.ledgerflow.core.deposit.domain.DepositState.Deposit;
import dev.ledgerflow.core.deposit.domain.DepositState.NoDeposit;
import dev.ledgerflow.core.posting.domain.Postings;

/** The decider of one deposit stream ({@code dep_…}): external money into a merchant account. */
public final class DepositDecider implements Decider<DepositCommand, DepositState, DepositEvent, DepositRejection> {

    @Override
    public DepositState initialState() {
        return new NoDeposit();
    }

    @Override
    public Decision<DepositEvent, DepositRejection> decide(DepositCommand command, DepositState state) {
        return switch (command) {
            case PostDeposit post -> post(post, state);
        };
    }

    @Override
    public DepositState evolve(DepositState state, DepositEvent event) {
        return switch (event) {
            case DepositPosted posted -> switch (state) {
                case NoDeposit none -> new Deposit(
                        posted.depositId(), posted.merchantId(), posted.accountId(), posted.amount(), posted.at());
                case Deposit deposit -> throw new IllegalStateException(
                        "corrupt stream: " + posted.type() + " on posted deposit " + deposit.depositId());
            };
        };
    }

    private static Decision<DepositEvent, DepositRejection> post(PostDeposit command, DepositState state) {
        if (!command.amount().withinRequestLimits()) {
            return Decision.rejected(DepositRejection.AMOUNT_INVALID);
        }
        if (!command.amount().currency().equals(command.accountCurrency())) {
            return Decision.rejected(DepositRejection.CURRENCY_MISMATCH);
        }
        if (state instanceof Deposit) {
            return Decision.rejected(DepositRejection.DEPOSIT_EXISTS);
        }
        var postings = Postings.move(
                command.amount(), Postings.fundingAccount(command.amount().currency()), command.accountId());
        return Decision.accepted(new DepositPosted(command.depositId(), command.merchantId(), command.accountId(),
                command.amount(), command.at(), postings));
    }
}
