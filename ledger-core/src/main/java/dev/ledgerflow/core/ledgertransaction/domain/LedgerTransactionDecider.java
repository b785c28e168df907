package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.ExpirePending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.ReverseLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.VoidPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionExpired;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionReversed;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionVoided;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection.Reason;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.LedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.NoLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.Status;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The decider of one ledger transaction stream ({@code ltx_…}): money moved along 2 to 64 legs at
 * once, all or nothing; or held (pending) until posted in full or in part, voided, or expired; and a
 * posted one reversed, once. Each leg is a balanced pair of postings in one currency, so the
 * transaction balances per currency whatever currencies its legs use; a hold is a pending debit of the
 * from-account, which has no counter-entry (see {@link Postings}).
 *
 * <p>Insufficient funds is not decided here, as for transfers: the store checks every account's net
 * change against its live balance atomically when it appends the one event that carries all legs, so
 * either every leg is applied or none is, and no account ever goes below its overdraft limit. Posting
 * or voiding a pending transaction never lowers an available balance, so only creating one, posting
 * one at once and reversing one can be refused for funds.
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
            case PostLedgerTransaction post -> create(post, state);
            case PostPending post -> postPending(post, state);
            case VoidPending voiding -> voidPending(voiding, state);
            case ExpirePending expiry -> expire(expiry, state);
            case ReverseLedgerTransaction reverse -> reverse(reverse, state);
        };
    }

    @Override
    public LedgerTransactionState evolve(LedgerTransactionState state, LedgerTransactionEvent event) {
        return switch (event) {
            case LedgerTransactionPending pending -> switch (state) {
                case NoLedgerTransaction none -> new LedgerTransaction(pending.transactionId(), pending.merchantId(),
                        pending.legs(), pending.description(), pending.metadata(), Status.PENDING,
                        Collections.nCopies(pending.legs().size(), 0L), pending.expiresAt(), pending.at(), pending.at());
                case LedgerTransaction existing -> throw corrupt(event, existing);
            };
            case LedgerTransactionPosted posted -> switch (state) {
                case NoLedgerTransaction none -> new LedgerTransaction(posted.transactionId(), posted.merchantId(),
                        posted.legs(), posted.description(), posted.metadata(), Status.POSTED, posted.postedMinor(), null,
                        posted.at(), posted.at());
                case LedgerTransaction existing when existing.status() == Status.PENDING ->
                        existing.with(Status.POSTED, posted.postedMinor(), posted.at());
                case LedgerTransaction existing -> throw corrupt(event, existing);
            };
            case LedgerTransactionVoided voided -> resolve(state, event, Status.VOIDED);
            case LedgerTransactionExpired expired -> resolve(state, event, Status.EXPIRED);
            case LedgerTransactionReversed reversed -> switch (state) {
                case LedgerTransaction existing when existing.status() == Status.POSTED ->
                        existing.with(Status.REVERSED, existing.postedMinor(), reversed.at());
                default -> throw corrupt(event, state);
            };
        };
    }

    /** A pending transaction released: nothing moved. */
    private static LedgerTransactionState resolve(LedgerTransactionState state, LedgerTransactionEvent event, Status next) {
        if (state instanceof LedgerTransaction existing && existing.status() == Status.PENDING) {
            return existing.with(next, existing.postedMinor(), event.at());
        }
        throw corrupt(event, state);
    }

    private static IllegalStateException corrupt(LedgerTransactionEvent event, LedgerTransactionState state) {
        return new IllegalStateException("corrupt stream: " + event.type() + " on " + state);
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> create(
            PostLedgerTransaction command, LedgerTransactionState state) {
        List<Leg> legs = command.legs();
        if (legs.size() < LEGS_MIN || legs.size() > LEGS_MAX) {
            return rejected(Reason.LEGS_COUNT_INVALID);
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
        if (command.expiresAt() != null && (!command.pending() || !command.expiresAt().isAfter(command.at()))) {
            return rejected(Reason.TIMEOUT_INVALID);
        }
        if (state instanceof LedgerTransaction) {
            return rejected(Reason.LEDGER_TRANSACTION_EXISTS);
        }
        List<Posting> postings = new ArrayList<>(2 * legs.size());
        if (command.pending()) {
            for (Leg leg : legs) {
                postings.add(Posting.pending(leg.fromAccountId(), leg.amount()));
            }
            return Decision.accepted(new LedgerTransactionPending(command.transactionId(), command.merchantId(), legs,
                    command.description(), command.metadata(), command.expiresAt(), command.at(), postings));
        }
        for (Leg leg : legs) {
            postings.addAll(Postings.move(leg.amount(), leg.fromAccountId(), leg.toAccountId()));
        }
        return Decision.accepted(LedgerTransactionPosted.inFull(command.transactionId(), command.merchantId(), legs,
                command.description(), command.metadata(), command.at(), postings));
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> postPending(
            PostPending command, LedgerTransactionState state) {
        if (!(state instanceof LedgerTransaction transaction)) {
            return rejected(Reason.LEDGER_TRANSACTION_NOT_FOUND);
        }
        if (transaction.status() != Status.PENDING) {
            return rejected(Reason.INVALID_STATE);
        }
        if (expired(transaction, command.at())) {
            return rejected(Reason.EXPIRED);
        }
        List<Leg> legs = transaction.legs();
        List<Long> posted = new ArrayList<>(legs.size());
        if (command.amountMinor() == null) {
            legs.forEach(leg -> posted.add(leg.amount().amountMinor()));
        } else {
            if (legs.stream().map(leg -> leg.amount().currency()).distinct().count() > 1) {
                return rejected(Reason.AMOUNT_CURRENCY_AMBIGUOUS);
            }
            long held = legs.stream().mapToLong(leg -> leg.amount().amountMinor()).reduce(0, Math::addExact);
            long left = command.amountMinor();
            if (left < 1 || left > held) {
                return rejected(Reason.POST_EXCEEDS_PENDING);
            }
            for (Leg leg : legs) {
                long part = Math.min(left, leg.amount().amountMinor());
                posted.add(part);
                left -= part;
            }
        }
        List<Posting> postings = new ArrayList<>(2 * legs.size());
        for (int i = 0; i < legs.size(); i++) {
            Leg leg = legs.get(i);
            long part = posted.get(i);
            CurrencyCode currency = leg.amount().currency();
            postings.add(new Posting(leg.fromAccountId(), currency, -part, -leg.amount().amountMinor()));
            if (part > 0) {
                postings.add(Posting.posted(leg.toAccountId(), Money.of(part, currency)));
            }
        }
        return Decision.accepted(new LedgerTransactionPosted(transaction.transactionId(), transaction.merchantId(), legs,
                posted, transaction.description(), transaction.metadata(), command.at(), postings));
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> voidPending(
            VoidPending command, LedgerTransactionState state) {
        if (!(state instanceof LedgerTransaction transaction)) {
            return rejected(Reason.LEDGER_TRANSACTION_NOT_FOUND);
        }
        if (transaction.status() != Status.PENDING) {
            return rejected(Reason.INVALID_STATE);
        }
        if (expired(transaction, command.at())) {
            return rejected(Reason.EXPIRED);
        }
        return Decision.accepted(new LedgerTransactionVoided(transaction.transactionId(), command.at(), releases(transaction)));
    }

    /**
     * The processor's expiry: recorded at the expiry time the transaction was created with, however
     * late the processor runs. A transaction that is no longer pending needs nothing: already done.
     */
    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> expire(
            ExpirePending command, LedgerTransactionState state) {
        if (!(state instanceof LedgerTransaction transaction)) {
            return rejected(Reason.LEDGER_TRANSACTION_NOT_FOUND);
        }
        if (transaction.status() != Status.PENDING) {
            return Decision.alreadyDone();
        }
        if (transaction.expiresAt() == null) {
            return rejected(Reason.INVALID_STATE);
        }
        if (!expired(transaction, command.at())) {
            return rejected(Reason.NOT_YET_EXPIRED);
        }
        return Decision.accepted(new LedgerTransactionExpired(transaction.transactionId(), transaction.expiresAt(),
                releases(transaction)));
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> reverse(
            ReverseLedgerTransaction command, LedgerTransactionState state) {
        if (!(state instanceof LedgerTransaction transaction)) {
            return rejected(Reason.LEDGER_TRANSACTION_NOT_FOUND);
        }
        if (transaction.status() == Status.REVERSED) {
            return rejected(Reason.ALREADY_REVERSED);
        }
        if (transaction.status() != Status.POSTED) {
            return rejected(Reason.INVALID_STATE);
        }
        List<Posting> postings = new ArrayList<>();
        for (int i = 0; i < transaction.legs().size(); i++) {
            Leg leg = transaction.legs().get(i);
            long part = transaction.postedMinor().get(i);
            if (part > 0) {
                postings.addAll(Postings.move(Money.of(part, leg.amount().currency()), leg.toAccountId(), leg.fromAccountId()));
            }
        }
        return Decision.accepted(new LedgerTransactionReversed(transaction.transactionId(), command.at(), postings));
    }

    private static boolean expired(LedgerTransaction transaction, java.time.Instant now) {
        return transaction.expiresAt() != null && !now.isBefore(transaction.expiresAt());
    }

    /** Every hold of a pending transaction released. */
    private static List<Posting> releases(LedgerTransaction transaction) {
        return transaction.legs().stream()
                .map(leg -> Posting.pending(leg.fromAccountId(), leg.amount().negate()))
                .toList();
    }

    private static Decision<LedgerTransactionEvent, LedgerTransactionRejection> rejected(Reason reason) {
        return Decision.rejected(LedgerTransactionRejection.of(reason));
    }

    /**
     * The leg an insufficient-funds answer of the store is about: the first that debits the account
     * the store names (for a reversal, the first that credited it).
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
