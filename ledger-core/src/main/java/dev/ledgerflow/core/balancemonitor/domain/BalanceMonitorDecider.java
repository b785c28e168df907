package dev.ledgerflow.core.balancemonitor.domain;

import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.CreateBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.DeleteBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.ObserveBalance;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorCreated;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorDeleted;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorRearmed;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorTriggered;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.BalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.NoBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.Status;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.Trigger;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.money.domain.Money;

/**
 * The decider of one balance monitor ({@code bm_…} stream): edge-triggered. An armed monitor fires
 * once when its condition starts to hold ({@code balance_monitor.triggered}), stays triggered however
 * long the condition keeps holding, and re-arms ({@code balance_monitor.rearmed}) only once the balance
 * is back past the threshold by the hysteresis.
 *
 * <p>It learns balances from the evaluator's {@link ObserveBalance} reports, which come in feed order
 * and name the event they follow: a report at or before the last one that changed the monitor is a
 * replay (after a crash, a restart or a second evaluator) and is already done, so a monitor never
 * fires twice for one crossing. A report that changes nothing is already done too: nothing is stored.
 */
public final class BalanceMonitorDecider
        implements Decider<BalanceMonitorCommand, BalanceMonitorState, BalanceMonitorEvent, BalanceMonitorRejection> {

    @Override
    public BalanceMonitorState initialState() {
        return new NoBalanceMonitor();
    }

    @Override
    public Decision<BalanceMonitorEvent, BalanceMonitorRejection> decide(
            BalanceMonitorCommand command, BalanceMonitorState state) {
        return switch (command) {
            case CreateBalanceMonitor create -> create(create, state);
            case DeleteBalanceMonitor delete -> delete(delete, state);
            case ObserveBalance observe -> observe(observe, state);
        };
    }

    @Override
    public BalanceMonitorState evolve(BalanceMonitorState state, BalanceMonitorEvent event) {
        return switch (event) {
            case BalanceMonitorCreated created -> switch (state) {
                case NoBalanceMonitor none -> new BalanceMonitor(created.monitorId(), created.merchantId(),
                        created.accountId(), created.currency(), created.overdraftLimitMinor(), created.condition(),
                        Status.ARMED, 0, null, null, created.at(), created.at());
                case BalanceMonitor existing -> throw corrupt(event, state);
            };
            case BalanceMonitorTriggered triggered -> switch (state) {
                case BalanceMonitor monitor when monitor.status() == Status.ARMED -> monitor.with(Status.TRIGGERED,
                        Math.addExact(monitor.triggerCount(), 1), new Trigger(triggered.balanceMinor(),
                                triggered.thresholdMinor(), triggered.cause(), triggered.at()),
                        triggered.cause(), triggered.at());
                default -> throw corrupt(event, state);
            };
            case BalanceMonitorRearmed rearmed -> switch (state) {
                case BalanceMonitor monitor when monitor.status() == Status.TRIGGERED -> monitor.with(Status.ARMED,
                        monitor.triggerCount(), monitor.lastTrigger(), rearmed.cause(), rearmed.at());
                default -> throw corrupt(event, state);
            };
            case BalanceMonitorDeleted deleted -> switch (state) {
                case BalanceMonitor monitor when monitor.status() != Status.DELETED -> monitor.with(Status.DELETED,
                        monitor.triggerCount(), monitor.lastTrigger(), monitor.lastChange(), deleted.at());
                default -> throw corrupt(event, state);
            };
        };
    }

    private static IllegalStateException corrupt(BalanceMonitorEvent event, BalanceMonitorState state) {
        return new IllegalStateException("corrupt stream: " + event.type() + " on " + state);
    }

    private static Decision<BalanceMonitorEvent, BalanceMonitorRejection> create(
            CreateBalanceMonitor command, BalanceMonitorState state) {
        Condition condition = command.condition();
        if (Math.abs(condition.thresholdMinor()) > Money.AMOUNT_MAX_MINOR) {
            return Decision.rejected(BalanceMonitorRejection.THRESHOLD_INVALID);
        }
        if (condition.hysteresisMinor() < 0 || condition.hysteresisMinor() > Money.AMOUNT_MAX_MINOR) {
            return Decision.rejected(BalanceMonitorRejection.HYSTERESIS_INVALID);
        }
        var account = command.account();
        if (account == null || !command.merchantId().equals(account.merchantId())
                || !account.accountId().equals(command.accountId())) {
            return Decision.rejected(BalanceMonitorRejection.ACCOUNT_NOT_FOUND);
        }
        if (command.currency() != null && !command.currency().equals(account.currency())) {
            return Decision.rejected(BalanceMonitorRejection.CURRENCY_MISMATCH);
        }
        if (state instanceof BalanceMonitor) {
            return Decision.rejected(BalanceMonitorRejection.BALANCE_MONITOR_EXISTS);
        }
        return Decision.accepted(new BalanceMonitorCreated(command.monitorId(), command.merchantId(),
                command.accountId(), account.currency(), account.overdraftLimitMinor(), condition, command.at()));
    }

    private static Decision<BalanceMonitorEvent, BalanceMonitorRejection> delete(
            DeleteBalanceMonitor command, BalanceMonitorState state) {
        if (!(state instanceof BalanceMonitor monitor)) {
            return Decision.rejected(BalanceMonitorRejection.BALANCE_MONITOR_NOT_FOUND);
        }
        if (monitor.status() == Status.DELETED) {
            return Decision.rejected(BalanceMonitorRejection.ALREADY_DELETED);
        }
        return Decision.accepted(new BalanceMonitorDeleted(monitor.monitorId(), command.at()));
    }

    private static Decision<BalanceMonitorEvent, BalanceMonitorRejection> observe(
            ObserveBalance command, BalanceMonitorState state) {
        if (!(state instanceof BalanceMonitor monitor)) {
            return Decision.rejected(BalanceMonitorRejection.BALANCE_MONITOR_NOT_FOUND);
        }
        if (monitor.status() == Status.DELETED) {
            return Decision.alreadyDone();
        }
        if (monitor.lastChange() != null && !command.cause().isAfter(monitor.lastChange())) {
            return Decision.alreadyDone();
        }
        Condition condition = monitor.condition();
        long balance = command.balanceMinor();
        if (monitor.status() == Status.ARMED && condition.holds(balance)) {
            return Decision.accepted(new BalanceMonitorTriggered(monitor.monitorId(), monitor.accountId(), balance,
                    condition.thresholdMinor(), command.cause(), command.at()));
        }
        if (monitor.status() == Status.TRIGGERED && condition.rearms(balance)) {
            return Decision.accepted(new BalanceMonitorRearmed(monitor.monitorId(), monitor.accountId(), balance,
                    command.cause(), command.at()));
        }
        return Decision.alreadyDone();
    }
}
