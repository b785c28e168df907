package dev.ledgerflow.core.balancemonitor.domain;

import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.FeedPlace;
import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Objects;

/** What happened to a balance monitor. None moves money. */
public sealed interface BalanceMonitorEvent {

    String monitorId();

    Instant at();

    /** The public event type. */
    String type();

    /** A monitor watches an account, armed. */
    record BalanceMonitorCreated(
            String monitorId,
            String merchantId,
            String accountId,
            CurrencyCode currency,
            long overdraftLimitMinor,
            Condition condition,
            Instant at)
            implements BalanceMonitorEvent {

        public static final String TYPE = "balance_monitor.created";

        public BalanceMonitorCreated {
            IdChecks.require(monitorId, "bm_");
            IdChecks.require(merchantId, "mer_");
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(currency, "currency");
            Objects.requireNonNull(condition, "condition");
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The watched balance crossed the threshold while the monitor was armed: it fired, once.
     *
     * @param balanceMinor the watched balance after the event that crossed
     * @param cause that event's place in the feed
     */
    record BalanceMonitorTriggered(
            String monitorId, String accountId, long balanceMinor, long thresholdMinor, FeedPlace cause, Instant at)
            implements BalanceMonitorEvent {

        public static final String TYPE = "balance_monitor.triggered";

        public BalanceMonitorTriggered {
            IdChecks.require(monitorId, "bm_");
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The watched balance came back past the hysteresis band: the monitor may fire again. */
    record BalanceMonitorRearmed(String monitorId, String accountId, long balanceMinor, FeedPlace cause, Instant at)
            implements BalanceMonitorEvent {

        public static final String TYPE = "balance_monitor.rearmed";

        public BalanceMonitorRearmed {
            IdChecks.require(monitorId, "bm_");
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The merchant deleted the monitor: it never fires again. */
    record BalanceMonitorDeleted(String monitorId, Instant at) implements BalanceMonitorEvent {

        public static final String TYPE = "balance_monitor.deleted";

        public BalanceMonitorDeleted {
            IdChecks.require(monitorId, "bm_");
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }
}
