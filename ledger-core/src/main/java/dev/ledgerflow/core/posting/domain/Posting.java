package dev.ledgerflow.core.posting.domain;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.util.Objects;

/**
 * One line of a movement: how one account's posted balance and pending holds change.
 *
 * <p>The shell turns each posting into a balance change for the event store, whose guard rejects a
 * change that would take a merchant account's available balance ({@code posted - pending +
 * overdraft_limit}) below zero. System accounts ({@link #systemAccount()}) are never guarded.
 *
 * @param postedDeltaMinor change of the posted balance, in minor units (negative = debit)
 * @param pendingDeltaMinor change of the pending holds, in minor units (positive = a new hold, which
 *     lowers the available balance; negative = a hold released)
 */
public record Posting(String accountId, CurrencyCode currency, long postedDeltaMinor, long pendingDeltaMinor) {

    public Posting {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(currency, "currency");
        if (accountId.isBlank()) {
            throw new IllegalArgumentException("posting without an account");
        }
        if (postedDeltaMinor == 0 && pendingDeltaMinor == 0) {
            throw new IllegalArgumentException("a posting must change something: " + accountId);
        }
    }

    /** A change of the posted balance only. */
    public static Posting posted(String accountId, Money delta) {
        return new Posting(accountId, delta.currency(), delta.amountMinor(), 0);
    }

    /** A change of the pending holds only. */
    public static Posting pending(String accountId, Money delta) {
        return new Posting(accountId, delta.currency(), 0, delta.amountMinor());
    }

    /** Whether the account is a system account (funding, card clearing, settlement): created on first use, unguarded. */
    public boolean systemAccount() {
        return Postings.isSystemAccount(accountId);
    }
}
