package dev.ledgerflow.core.deposit.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** What happened to a deposit. */
public sealed interface DepositEvent extends HasPostings {

    String depositId();

    Instant at();

    /** The public event type (API.md, Events). */
    String type();

    /**
     * Money entered the ledger: {@code +amount} on the account, {@code -amount} on the currency's
     * external funding account ({@code sys_funding_CUR}).
     */
    record DepositPosted(
            String depositId, String merchantId, String accountId, Money amount, Instant at, List<Posting> postings)
            implements DepositEvent {

        public static final String TYPE = "deposit.posted";

        public DepositPosted {
            IdChecks.require(depositId, "dep_");
            IdChecks.require(merchantId, "mer_");
            IdChecks.require(accountId, "acc_");
            if (!amount.withinRequestLimits()) {
                throw new IllegalArgumentException("deposit amount out of range: " + amount);
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
