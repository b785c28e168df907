package dev.ledgerflow.core.balancemonitor.domain;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Objects;

/** What can be asked of a balance monitor ({@code bm_…} stream). */
public sealed interface BalanceMonitorCommand {

    String monitorId();

    Instant at();

    /**
     * The account as the shell found it: its owner, currency and overdraft limit.
     *
     * @param merchantId null for a system account
     */
    record AccountFacts(String accountId, String merchantId, CurrencyCode currency, long overdraftLimitMinor) {
        public AccountFacts {
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(currency, "currency");
        }
    }

    /**
     * Watch one of the merchant's accounts.
     *
     * @param account what the shell found under {@code accountId}; null when there is no such account
     * @param currency the currency the client stated for the threshold; null to take the account's
     */
    record CreateBalanceMonitor(
            String monitorId,
            String merchantId,
            String accountId,
            AccountFacts account,
            Condition condition,
            CurrencyCode currency,
            Instant at)
            implements BalanceMonitorCommand {
        public CreateBalanceMonitor {
            Objects.requireNonNull(monitorId, "monitorId");
            Objects.requireNonNull(merchantId, "merchantId");
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(condition, "condition");
            Objects.requireNonNull(at, "at");
        }
    }

    /** Stop watching; a deleted monitor never fires again. */
    record DeleteBalanceMonitor(String monitorId, Instant at) implements BalanceMonitorCommand {
        public DeleteBalanceMonitor {
            Objects.requireNonNull(monitorId, "monitorId");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * The evaluator's report: the watched balance after the event at {@code cause} of the feed. Reports
     * come in feed order; one at or before the last one that changed the monitor is a replay.
     *
     * @param balanceMinor the watched field's balance after that event
     */
    record ObserveBalance(String monitorId, long balanceMinor, FeedPlace cause, Instant at)
            implements BalanceMonitorCommand {
        public ObserveBalance {
            Objects.requireNonNull(monitorId, "monitorId");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A place in the feed: the writing transaction's id and the global position, compared in that
     * order (the feed's order; positions alone commit out of order).
     */
    record FeedPlace(long txid, long position) implements Comparable<FeedPlace> {
        public FeedPlace {
            if (txid < 0 || position < 0) {
                throw new IllegalArgumentException("feed place out of range: " + txid + "/" + position);
            }
        }

        @Override
        public int compareTo(FeedPlace other) {
            int byTxid = Long.compare(txid, other.txid);
            return byTxid != 0 ? byTxid : Long.compare(position, other.position);
        }

        public boolean isAfter(FeedPlace other) {
            return compareTo(other) > 0;
        }
    }
}
