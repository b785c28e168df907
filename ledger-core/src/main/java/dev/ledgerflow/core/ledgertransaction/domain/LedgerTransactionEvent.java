package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What happened to a ledger transaction. */
public sealed interface LedgerTransactionEvent extends HasPostings {

    String transactionId();

    Instant at();

    /** The public event type. */
    String type();

    private static List<Leg> requireLegs(List<Leg> legs) {
        List<Leg> copy = List.copyOf(legs);
        if (copy.size() < LedgerTransactionDecider.LEGS_MIN || copy.size() > LedgerTransactionDecider.LEGS_MAX) {
            throw new IllegalArgumentException("a ledger transaction has 2 to 64 legs: " + copy.size());
        }
        for (Leg leg : copy) {
            if (!leg.amount().withinRequestLimits()) {
                throw new IllegalArgumentException("leg amount out of range: " + leg.amount());
            }
        }
        return copy;
    }

    /**
     * Money held: each leg's amount is a pending debit (a hold) on its from-account, which lowers its
     * available balance; nothing moves yet. The store's guard has accepted every account's net hold.
     *
     * @param expiresAt when it voids itself if still pending; null for never
     */
    record LedgerTransactionPending(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            String description,
            Map<String, String> metadata,
            Instant expiresAt,
            Instant at,
            List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.pending";

        public LedgerTransactionPending {
            IdChecks.require(transactionId, "ltx_");
            IdChecks.require(merchantId, "mer_");
            legs = requireLegs(legs);
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            Objects.requireNonNull(at, "at");
            if (expiresAt != null && !expiresAt.isAfter(at)) {
                throw new IllegalArgumentException("expiry not after creation: " + expiresAt);
            }
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * Money moved: {@code postedMinor[i]} from leg i's from-account to its to-account, either at once
     * or as the post of a pending transaction (whose holds are released in the same postings). The
     * store's balance guard has accepted every account's net change in the same transaction.
     *
     * @param postedMinor what moved of each leg (all of it when posted at once; null reads as that)
     * @param description free text, or null
     */
    record LedgerTransactionPosted(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            List<Long> postedMinor,
            String description,
            Map<String, String> metadata,
            Instant at,
            List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.posted";

        public LedgerTransactionPosted {
            IdChecks.require(transactionId, "ltx_");
            IdChecks.require(merchantId, "mer_");
            legs = requireLegs(legs);
            postedMinor = postedMinor == null
                    ? legs.stream().map(leg -> leg.amount().amountMinor()).toList()
                    : List.copyOf(postedMinor);
            if (postedMinor.size() != legs.size()) {
                throw new IllegalArgumentException("one posted amount per leg");
            }
            for (int i = 0; i < legs.size(); i++) {
                if (postedMinor.get(i) < 0 || postedMinor.get(i) > legs.get(i).amount().amountMinor()) {
                    throw new IllegalArgumentException("posted amount of leg " + i + " out of range: " + postedMinor.get(i));
                }
            }
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        /** Posted at once: every leg in full. */
        public static LedgerTransactionPosted inFull(String transactionId, String merchantId, List<Leg> legs,
                String description, Map<String, String> metadata, Instant at, List<Posting> postings) {
            return new LedgerTransactionPosted(transactionId, merchantId, legs, null, description, metadata, at, postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The client voided a pending transaction: its holds are released. */
    record LedgerTransactionVoided(String transactionId, Instant at, List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.voided";

        public LedgerTransactionVoided {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * A pending transaction's time ran out: its holds are released. {@code at} is the expiry recorded
     * when it was created, whenever the processor got to it.
     */
    record LedgerTransactionExpired(String transactionId, Instant at, List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.expired";

        public LedgerTransactionExpired {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * A posted transaction undone: each leg's posted amount back from its to-account to its
     * from-account. The store's guard has accepted the debits of the to-accounts.
     */
    record LedgerTransactionReversed(String transactionId, Instant at, List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.reversed";

        public LedgerTransactionReversed {
            IdChecks.require(transactionId, "ltx_");
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }
}
