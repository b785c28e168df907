package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection.Reason;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.LedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.NoLedgerTransaction;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.util.ArrayList;
import java.util.List;

/**
 * The decider of one ledger transaction stream ({@code ltx_…}): money moved along 2 to 64 legs at
 * once, all or nothing. Each leg is a balanced pair of postings in one currency, so the transaction
 * balances per currency whatever currencies its legs use.
 *
 * <p>Insufficient funds is not decided here, as for transfers: the store checks every account's net
 * change against its live balance atomically when it appends the one event that carries all legs, so
 * either every leg is applied or none is, and no account ever goes below its overdraft limit.
 */
public final class LedgerTransactionDecider implements Decider<LedgerTransactionCommand, LedgerTransactionState,
        LedgerTransactionEvent, LedgerTransactionRejection> {

    public static final int LEGS_MIN = 2;
    public static final int LEGS_MAX = 64;

    @Override
    public LedgerTransactionState initialState() {
        return new NoLedgerTransaction();
    }

    @Override
    public Decision<LedgerTransactionEvent, LedgerTransactionRejection> decide(
            LedgerTransactionCommand command, LedgerTransactionState state) {
        return switch (command) {
            case PostLedgerTransaction post -> post(post, state);
        };
    }

    @Override
    public LedgerTransactionState evolve(LedgerTransactionState state, LedgerTransactionEvent event) {
        return switch (event) {
            case LedgerTransactionPosted posted -> switch (state) {
                case NoLedgerTransaction none -> new LedgerTransaction(posted.transactionId(), posted.merchantId(),
                        posted.legs(), posted.description(), posted.metadata(), posted.at());
                case LedgerTransaction existing -> throw new IllegalStateException(
                        "corrupt stream: " + posted.type() + " on existing transaction " + existing.transactionId());
            };
        };
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> post(
            PostLedgerTransaction command, LedgerTransactionState state) {
        List<Leg> legs = command.legs();
        if (legs.size() < LEGS_MIN || legs.size() > LEGS_MAX) {
            return Decision.rejected(LedgerTransactionRejection.of(Reason.LEGS_COUNT_INVALID));
        }
        for (int i = 0; i < legs.size(); i++) {
            Leg leg = legs.get(i);
            if (!leg.amount().withinRequestLimits()) {
                return Decision.rejected(LedgerTransactionRejection.atLeg(Reason.AMOUNT_INVALID, i));
            }
            if (leg.fromAccountId().equals(leg.toAccountId())) {
                return Decision.rejected(LedgerTransactionRejection.atLeg(Reason.SAME_ACCOUNT, i));
            }
            CurrencyCode currency = leg.amount().currency();
            if (!command.accountCurrencies().get(leg.fromAccountId()).equals(currency)
                    || !command.accountCurrencies().get(leg.toAccountId()).equals(currency)) {
                return Decision.rejected(LedgerTransactionRejection.atLeg(Reason.CURRENCY_MISMATCH, i));
            }
        }
        if (state instanceof LedgerTransaction) {
            return Decision.rejected(LedgerTransactionRejection.of(Reason.LEDGER_TRANSACTION_EXISTS));
        }
        List<Posting> postings = new ArrayList<>(2 * legs.size());
        for (Leg leg : legs) {
            postings.addAll(Postings.move(leg.amount(), leg.fromAccountId(), leg.toAccountId()));
        }
        return Decision.accepted(new LedgerTransactionPosted(command.transactionId(), command.merchantId(), legs,
                command.description(), command.metadata(), command.at(), postings));
    }

    /**
     * The leg an insufficient-funds answer of the store is about: the first that debits the account
     * the store names.
     */
    public static int firstLegDebiting(List<Leg> legs, String accountId) {
        for (int i = 0; i < legs.size(); i++) {
            if (legs.get(i).fromAccountId().equals(accountId)) {
                return i;
            }
        }
        return LedgerTransactionRejection.NO_LEG;
    }
}
