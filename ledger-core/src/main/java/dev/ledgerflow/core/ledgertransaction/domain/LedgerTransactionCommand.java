package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What can be asked of a ledger transaction stream ({@code ltx_…}). */
public sealed interface LedgerTransactionCommand {

    String transactionId();

    Instant at();

    /**
     * Move money along several legs at once, all or nothing; or, {@code pending}, hold it on the
     * from-accounts until the transaction is posted, voided or expires. The shell has loaded every
     * account the legs name (and checked they belong to the merchant) and passes their currencies.
     *
     * @param accountCurrencies the currency of every account a leg names
     * @param description free text, or null
     * @param metadata the client's key-value pairs (possibly empty)
     * @param pending hold instead of moving
     * @param expiresAt when a pending transaction voids itself; null for never (or when not pending)
     */
    record PostLedgerTransaction(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            Map<String, CurrencyCode> accountCurrencies,
            String description,
            Map<String, String> metadata,
            boolean pending,
            Instant expiresAt,
            Instant at)
            implements LedgerTransactionCommand {
        public PostLedgerTransaction {
            IdChecks.require(transactionId, "ltx_");
            IdChecks.require(merchantId, "mer_");
            legs = List.copyOf(legs);
            accountCurrencies = Map.copyOf(accountCurrencies);
            metadata = Map.copyOf(metadata);
            for (Leg leg : legs) {
                if (!accountCurrencies.containsKey(leg.fromAccountId()) || !accountCurrencies.containsKey(leg.toAccountId())) {
                    throw new IllegalArgumentException("the shell passes the currency of every account of the legs");
                }
            }
            Objects.requireNonNull(at, "at");
        }

        /** A transaction posted at once. */
        public static PostLedgerTransaction posted(String transactionId, String merchantId, List<Leg> legs,
                Map<String, CurrencyCode> accountCurrencies, String description, Map<String, String> metadata, Instant at) {
            return new PostLedgerTransaction(transactionId, merchantId, legs, accountCurrencies, description, metadata,
                    false, null, at);
        }
    }

    /**
     * Post a pending transaction, in full or in part.
     *
     * @param amountMinor null: every leg in full; else this much, taken from the legs in their order
     *     (the first legs in full, one in part, the rest released); the legs must share one currency
     */
    record PostPending(String transactionId, Long amountMinor, Instant at) implements LedgerTransactionCommand {
        public PostPending {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** Release every hold of a pending transaction. */
    record VoidPending(String transactionId, Instant at) implements LedgerTransactionCommand {
        public VoidPending {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The processor's: release the holds of a pending transaction whose time is up ({@code at} is now). */
    record ExpirePending(String transactionId, Instant at) implements LedgerTransactionCommand {
        public ExpirePending {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** Undo a posted transaction with compensating postings, once. */
    record ReverseLedgerTransaction(String transactionId, Instant at) implements LedgerTransactionCommand {
        public ReverseLedgerTransaction {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
        }
    }
}
