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

    /**
     * Every leg moved, in one append: {@code -amount} on each leg's from-account, {@code +amount} on its
     * to-account. The store's balance guard has accepted every account's net change in the same
     * transaction.
     *
     * @param description free text, or null
     */
    record LedgerTransactionPosted(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            String description,
            Map<String, String> metadata,
            Instant at,
            List<Posting> postings)
            implements LedgerTransactionEvent {

        public static final String TYPE = "ledger_transaction.posted";

        public LedgerTransactionPosted {
            IdChecks.require(transactionId, "ltx_");
            IdChecks.require(merchantId, "mer_");
            legs = List.copyOf(legs);
            if (legs.size() < LedgerTransactionDecider.LEGS_MIN || legs.size() > LedgerTransactionDecider.LEGS_MAX) {
                throw new IllegalArgumentException("a ledger transaction has 2 to 64 legs: " + legs.size());
            }
            for (Leg leg : legs) {
                if (!leg.amount().withinRequestLimits()) {
                    throw new IllegalArgumentException("leg amount out of range: " + leg.amount());
                }
            }
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }
}
