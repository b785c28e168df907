package dev.ledgerflow.core.balancemonitor.domain;

import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.FeedPlace;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Locale;

/** A balance monitor stream folded: none yet, or a monitor. */
public sealed interface BalanceMonitorState {

    record NoBalanceMonitor() implements BalanceMonitorState {}

    /** Where a monitor is in its cycle. */
    enum Status {
        /** Fires when its condition starts to hold. */
        ARMED,
        /** Fired; waits for the balance to come back past the hysteresis band. */
        TRIGGERED,
        /** Never fires again. */
        DELETED;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The balance that last fired the monitor and the event that moved it there.
     *
     * @param balanceMinor the watched balance after the causing event
     */
    record Trigger(long balanceMinor, long thresholdMinor, FeedPlace cause, Instant at) {}

    /**
     * @param lastChange the feed place of the last observation that changed the monitor (fired or
     *     re-armed); null before the first: an observation at or before it is a replay
     * @param lastTrigger null before the first firing
     */
    record BalanceMonitor(
            String monitorId,
            String merchantId,
            String accountId,
            CurrencyCode currency,
            long overdraftLimitMinor,
            Condition condition,
            Status status,
            long triggerCount,
            Trigger lastTrigger,
            FeedPlace lastChange,
            Instant createdAt,
            Instant updatedAt)
            implements BalanceMonitorState {

        BalanceMonitor with(Status next, long count, Trigger trigger, FeedPlace change, Instant at) {
            return new BalanceMonitor(monitorId, merchantId, accountId, currency, overdraftLimitMinor, condition, next,
                    count, trigger, change, createdAt, at);
        }
    }
}
