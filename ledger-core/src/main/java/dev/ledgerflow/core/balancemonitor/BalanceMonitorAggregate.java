package dev.ledgerflow.core.balancemonitor;

import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorDecider;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorCreated;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorDeleted;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorRearmed;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorTriggered;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorRejection;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState;
import dev.ledgerflow.core.balancemonitor.domain.Condition;
import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import java.time.Instant;
import java.util.Map;

/** Balance monitors ({@code bm_…} streams): edge-triggered watches of one account's balance. */
public final class BalanceMonitorAggregate implements Aggregate<BalanceMonitorCommand, BalanceMonitorState,
        BalanceMonitorEvent, BalanceMonitorRejection> {

    public static final BalanceMonitorAggregate INSTANCE = new BalanceMonitorAggregate();
    public static final String ID_PREFIX = "bm";

    private static final BalanceMonitorDecider DECIDER = new BalanceMonitorDecider();
    private static final EventCodec<BalanceMonitorEvent> CODEC = new EventCodec<>(Map.of(
            BalanceMonitorCreated.TYPE, BalanceMonitorCreated.class,
            BalanceMonitorTriggered.TYPE, BalanceMonitorTriggered.class,
            BalanceMonitorRearmed.TYPE, BalanceMonitorRearmed.class,
            BalanceMonitorDeleted.TYPE, BalanceMonitorDeleted.class),
            BalanceMonitorEvent::type);

    private BalanceMonitorAggregate() {}

    /**
     * The condition as the API shows it: the watched field, {@code below} or {@code above} (the other
     * null) and the hysteresis, in minor units.
     */
    public record ConditionView(String field, Long below, Long above, long hysteresis) {
        static ConditionView of(Condition condition) {
            boolean below = condition.operator() == Condition.Operator.BELOW;
            return new ConditionView(condition.field().code(), below ? condition.thresholdMinor() : null,
                    below ? null : condition.thresholdMinor(), condition.hysteresisMinor());
        }
    }

    /**
     * The last firing as the API shows it: the watched balance after the event that crossed the
     * threshold, the threshold, and that event's global position.
     */
    public record TriggerView(long balance, long threshold, long position, Instant triggeredAt) {}

    /** A balance monitor as the API shows it. */
    public record BalanceMonitorView(String id, String account, String currency, ConditionView condition, String state,
            long triggerCount, TriggerView lastTrigger, Instant createdAt, Instant updatedAt) {
        public static BalanceMonitorView of(BalanceMonitorState.BalanceMonitor monitor) {
            var trigger = monitor.lastTrigger();
            return new BalanceMonitorView(monitor.monitorId(), monitor.accountId(), monitor.currency().code(),
                    ConditionView.of(monitor.condition()), monitor.status().code(), monitor.triggerCount(),
                    trigger == null ? null : new TriggerView(trigger.balanceMinor(), trigger.thresholdMinor(),
                            trigger.cause().position(), trigger.at()),
                    monitor.createdAt(), monitor.updatedAt());
        }
    }

    @Override
    public Decider<BalanceMonitorCommand, BalanceMonitorState, BalanceMonitorEvent, BalanceMonitorRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<BalanceMonitorEvent> codec() {
        return CODEC;
    }

    @Override
    public Object publicObject(BalanceMonitorState stateAfter, BalanceMonitorEvent event) {
        return BalanceMonitorView.of((BalanceMonitorState.BalanceMonitor) stateAfter);
    }
}
