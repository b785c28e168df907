package dev.ledgerflow.core.posting.domain;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * System account ids and the double-entry rule for postings.
 *
 * <p><b>The rule.</b> The postings of one movement sum to zero per currency in the posted column, so
 * the posted balances of all accounts, system accounts included, always sum to zero per currency.
 * The pending column is exempt: a hold reserves part of one account's own available balance while a
 * payment awaits capture, and moves no value to anyone, so it has no counter-entry. When the payment
 * is captured the hold is released and the value moves through balanced posted entries; when it is
 * canceled or fails the hold is simply released.
 *
 * <p><b>System accounts</b>, one per currency, created on first use and never guarded: external
 * funding ({@code sys_funding_USD}, the other side of deposits), card clearing ({@code
 * sys_card_clearing_USD}, the other side of card and UPI captures and refunds), and each merchant's
 * settlement account ({@code set_mer_…_USD}, where captured payments land and refunds leave).
 */
public final class Postings {

    public static final String SYSTEM_PREFIX = "sys_";
    public static final String FUNDING_PREFIX = "sys_funding_";
    public static final String CARD_CLEARING_PREFIX = "sys_card_clearing_";
    public static final String SETTLEMENT_PREFIX = "set_";

    private Postings() {}

    /** The external funding account of a currency: deposits come from it. */
    public static String fundingAccount(CurrencyCode currency) {
        return FUNDING_PREFIX + currency.code();
    }

    /** The card clearing account of a currency: card and UPI captures come from it, refunds go back to it. */
    public static String cardClearingAccount(CurrencyCode currency) {
        return CARD_CLEARING_PREFIX + currency.code();
    }

    /** A merchant's settlement account in a currency: captured payments land here. */
    public static String settlementAccount(String merchantId, CurrencyCode currency) {
        return SETTLEMENT_PREFIX + merchantId + "_" + currency.code();
    }

    /** Whether an account is a system account, which the balance guard never checks. */
    public static boolean isSystemAccount(String accountId) {
        return accountId.startsWith(SYSTEM_PREFIX) || accountId.startsWith(SETTLEMENT_PREFIX);
    }

    /** The two posted entries that move {@code amount} from one account to another. */
    public static List<Posting> move(Money amount, String fromAccountId, String toAccountId) {
        return List.of(Posting.posted(fromAccountId, amount.negate()), Posting.posted(toAccountId, amount));
    }

    /** The sum of the posted deltas per currency, computed exactly. */
    public static Map<CurrencyCode, Long> postedSumByCurrency(Collection<Posting> postings) {
        Map<CurrencyCode, Long> sums = new TreeMap<>((a, b) -> a.code().compareTo(b.code()));
        for (Posting posting : postings) {
            sums.merge(posting.currency(), posting.postedDeltaMinor(), Math::addExact);
        }
        return sums;
    }

    /** Whether the posted deltas sum to zero in every currency. */
    public static boolean balanced(Collection<Posting> postings) {
        return postedSumByCurrency(postings).values().stream().allMatch(sum -> sum == 0);
    }

    /**
     * Returns an immutable copy of {@code postings} if they balance.
     *
     * @throws IllegalArgumentException if they do not: an unbalanced movement is a bug, never stored
     */
    public static List<Posting> requireBalanced(List<Posting> postings) {
        List<Posting> copy = List.copyOf(postings);
        if (!balanced(copy)) {
            throw new IllegalArgumentException("postings do not balance per currency: " + copy);
        }
        return copy;
    }
}
