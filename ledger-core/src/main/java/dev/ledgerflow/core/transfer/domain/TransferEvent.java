package dev.ledgerflow.core.transfer.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** What happened to a transfer. */
public sealed interface TransferEvent extends HasPostings {

    String transferId();

    Instant at();

    /** The public event type (API.md, Events). */
    String type();

    /**
     * Money moved: {@code -amount} on the from-account, {@code +amount} on the to-account. The store's
     * balance guard has accepted the debit in the same transaction.
     *
     * @param description free text, or null
     */
    record TransferPosted(
            String transferId,
            String merchantId,
            String fromAccountId,
            String toAccountId,
            Money amount,
            String description,
            Instant at,
            List<Posting> postings)
            implements TransferEvent {

        public static final String TYPE = "transfer.posted";

        public TransferPosted {
            IdChecks.require(transferId, "tr_");
            IdChecks.require(merchantId, "mer_");
            IdChecks.require(fromAccountId, "acc_");
            IdChecks.require(toAccountId, "acc_");
            if (!amount.withinRequestLimits()) {
                throw new IllegalArgumentException("transfer amount out of range: " + amount);
            }
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }
}
