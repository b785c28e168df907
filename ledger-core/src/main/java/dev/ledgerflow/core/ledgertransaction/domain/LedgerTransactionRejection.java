package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.Rejection;
import java.util.Objects;

/**
 * Why a ledger transaction is refused, and which leg (0-based, as the client listed them) it is
 * about; {@link #NO_LEG} when it is about the whole transaction.
 */
public record LedgerTransactionRejection(Reason reason, int leg) implements Rejection {

    public static final int NO_LEG = -1;

    /** The reasons, in the order they are checked (legs in their order, each leg's checks in this order). */
    public enum Reason {
        /** Fewer than 2 or more than 64 legs. */
        LEGS_COUNT_INVALID(false),
        /** A leg's amount is not within {@code 1 ≤ amount ≤ 10^12}. */
        AMOUNT_INVALID(false),
        /** A leg moves from an account to itself. */
        SAME_ACCOUNT(false),
        /** A leg's accounts and amount are not all in one currency. */
        CURRENCY_MISMATCH(false),
        /** A pending transaction's expiry is not after its creation. */
        TIMEOUT_INVALID(false),
        /** The stream already holds a transaction: ids are never reused. */
        LEDGER_TRANSACTION_EXISTS(false),
        /** Post, void, expire or reverse of a stream that holds no transaction. */
        LEDGER_TRANSACTION_NOT_FOUND(false),
        /** The transaction was reversed already: a reversal happens at most once. */
        ALREADY_REVERSED(false),
        /** Post, void or reverse of a transaction whose status does not allow it (a void of a posted one, say). */
        INVALID_STATE(false),
        /** Post or void of a pending transaction whose time is up: it is expiring. */
        EXPIRED(false),
        /** The processor's expiry before the transaction's time: retry at that time. */
        NOT_YET_EXPIRED(true),
        /** A partial post of a transaction whose legs are in several currencies: which one is meant? */
        AMOUNT_CURRENCY_AMBIGUOUS(false),
        /** A partial post's amount is below 1 or above what is held. */
        POST_EXCEEDS_PENDING(false),
        /**
         * An account the legs debit would go below its overdraft limit. Never returned by {@code
         * decide}: the store checks every account's net change against its live balance atomically at
         * append time; the shell maps that answer to the first leg that debits the account. Retryable.
         */
        INSUFFICIENT_FUNDS(true);

        private final boolean retryable;

        Reason(boolean retryable) {
            this.retryable = retryable;
        }
    }

    public LedgerTransactionRejection {
        Objects.requireNonNull(reason, "reason");
        if (leg < NO_LEG) {
            throw new IllegalArgumentException("leg index " + leg);
        }
    }

    public static LedgerTransactionRejection of(Reason reason) {
        return new LedgerTransactionRejection(reason, NO_LEG);
    }

    public static LedgerTransactionRejection atLeg(Reason reason, int leg) {
        return new LedgerTransactionRejection(reason, leg);
    }

    public boolean aboutLeg() {
        return leg != NO_LEG;
    }

    @Override
    public String name() {
        return reason.name();
    }

    @Override
    public boolean retryable() {
        return reason.retryable;
    }
}
