package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.feed.FeedHandler;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.DisputeStatus;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.DisputePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.ResolveDispute;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentCreated;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Raises the disputes the acquirer plans ({@link Acquirer#plannedDispute}) some time after capture,
 * and decides them some time later, surviving restarts (the shape of the ledger transactions' expiry).
 *
 * <p>It rides on the payment processor's feed consumer: for a {@code payment.created} whose card the
 * acquirer will see disputed, it writes a row to {@code simulated_disputes} before the checkpoint moves
 * past the event, and sets a timer for {@code created + disputeDelay}. Other payments cost nothing more
 * than the decoding of their {@code payment.created}: no statement. When the timer fires, a captured
 * payment gets {@code payment.disputed} and the row a second timer ({@code + resolveDelay}) that appends
 * the outcome, then the row goes; a payment not captured yet is looked at again a delay later, one
 * that failed or was canceled is forgotten. After a restart {@link #start()} sets a timer for every row.
 * Duplicates are harmless: a second dispute or outcome is "already done".
 */
public final class DisputeSimulation implements FeedHandler, Disposable {

    /** How long after a payment's creation its dispute comes (once captured) when no delay is configured. */
    public static final Duration DISPUTE_DELAY_DEFAULT = Duration.ofSeconds(5);

    /** How long a dispute stays open when no delay is configured. */
    public static final Duration RESOLVE_DELAY_DEFAULT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(DisputeSimulation.class);
    private static final PaymentAggregate PAYMENTS = PaymentAggregate.INSTANCE;
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private final ConnectionFactory connections;
    private final CommandExecutor commands;
    private final Acquirer acquirer;
    private final Duration disputeDelay;
    private final Duration resolveDelay;
    private final InstantSource clock;
    private final Scheduler timers;
    private final Map<String, Disposable> scheduled = new ConcurrentHashMap<>();
    private volatile boolean disposed;

    public DisputeSimulation(ConnectionFactory connections, CommandExecutor commands, Acquirer acquirer,
            Duration disputeDelay, Duration resolveDelay, InstantSource clock) {
        this(connections, commands, acquirer, disputeDelay, resolveDelay, clock, Schedulers.parallel());
    }

    /** @param timers where the timers run (a virtual-time scheduler in tests, with {@code clock} reading it) */
    public DisputeSimulation(ConnectionFactory connections, CommandExecutor commands, Acquirer acquirer,
            Duration disputeDelay, Duration resolveDelay, InstantSource clock, Scheduler timers) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.commands = Objects.requireNonNull(commands, "commands");
        this.acquirer = Objects.requireNonNull(acquirer, "acquirer");
        if (disputeDelay.isNegative() || resolveDelay.isNegative()) {
            throw new IllegalArgumentException("dispute delays must not be negative");
        }
        this.disputeDelay = disputeDelay;
        this.resolveDelay = resolveDelay;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
    }

    /** Sets a timer for every dispute waiting to be raised or decided (after a restart: those of before). */
    public Mono<Void> start() {
        return Sql.on(connections).query("select payment_id, merchant_id, outcome, step, due_at from simulated_disputes",
                        row -> new Due(row.get("payment_id", String.class), row.get("merchant_id", String.class),
                                DisputeStatus.valueOf(row.get("outcome", String.class).toUpperCase(Locale.ROOT)),
                                Step.valueOf(row.get("step", String.class).toUpperCase(Locale.ROOT)),
                                Sql.instant(row, "due_at")))
                .doOnNext(this::schedule)
                .then();
    }

    /** How many payments have a dispute timer set. */
    public int scheduledCount() {
        return scheduled.size();
    }

    @Override
    public Mono<Void> handle(RecordedEvent recorded) {
        if (!PaymentCreated.TYPE.equals(recorded.type())) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            var created = (PaymentCreated) PAYMENTS.codec().decode(recorded);
            if (!(created.source() instanceof PaymentSource.Card card)) {
                return Mono.empty();
            }
            return acquirer.plannedDispute(card.acquirerToken())
                    .map(outcome -> {
                        Due due = new Due(created.paymentId(), created.merchantId(), outcome, Step.DISPUTE,
                                created.at().plus(disputeDelay));
                        return save(due).doOnSuccess(done -> schedule(due));
                    })
                    .orElse(Mono.empty());
        });
    }

    @Override
    public void dispose() {
        disposed = true;
        scheduled.values().forEach(Disposable::dispose);
        scheduled.clear();
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    private enum Step { DISPUTE, RESOLVE }

    private record Due(String paymentId, String merchantId, DisputeStatus outcome, Step step, Instant dueAt) {}

    private void schedule(Due due) {
        if (disposed) {
            return;
        }
        // A timer that is running may set the next one (its step done); a stale one firing twice is harmless.
        scheduled.put(due.paymentId(), timer(due));
    }

    private Disposable timer(Due due) {
        Duration wait = Duration.between(clock.instant(), due.dueAt());
        return Mono.delay(wait.isNegative() ? Duration.ZERO : wait, timers)
                .then(Mono.defer(() -> fire(due)))
                .subscribe(null, error -> {
                    log.warn("Simulated dispute of payment {} failed; retrying", due.paymentId(), error);
                    Mono.delay(RETRY_DELAY, timers).subscribe(tick -> schedule(due));
                });
    }

    private Mono<Void> fire(Due due) {
        return switch (due.step()) {
            case DISPUTE -> commands.load(PAYMENTS, StreamId.of(due.paymentId())).flatMap(loaded -> {
                if (!(loaded.state() instanceof PaymentState.Payment payment)) {
                    return forget(due);
                }
                return switch (payment.status()) {
                    // Not captured yet: the customer can only dispute a charge, so look again later.
                    case PROCESSING, REQUIRES_CAPTURE -> next(new Due(due.paymentId(), due.merchantId(),
                            due.outcome(), Step.DISPUTE, clock.instant().plus(disputeDelay)));
                    case FAILED, CANCELED -> forget(due);
                    case SUCCEEDED -> execute(due, new DisputePayment(due.paymentId(), clock.instant()))
                            .flatMap(raised -> raised
                                    ? next(new Due(due.paymentId(), due.merchantId(), due.outcome(), Step.RESOLVE,
                                            clock.instant().plus(resolveDelay)))
                                    : forget(due)); // nothing left to dispute (refunded in full)
                };
            });
            case RESOLVE -> execute(due, new ResolveDispute(due.paymentId(), due.outcome(), clock.instant()))
                    .then(forget(due));
        };
    }

    /** @return whether the stream holds the command's outcome now (appended, or there already) */
    private Mono<Boolean> execute(Due due, PaymentCommand command) {
        return commands.execute(CommandRequest.of(PAYMENTS, StreamId.of(due.paymentId()), command,
                        EventMetadata.of(due.merchantId())))
                .map(result -> switch (result) {
                    case CommandResult.Done<?, ?, ?> done -> true;
                    case CommandResult.AlreadyDone<?, ?, ?> alreadyDone -> true;
                    case CommandResult.Replayed<?, ?, ?> replayed -> true;
                    default -> {
                        log.info("Simulated dispute of payment {}: {}", due.paymentId(), result);
                        yield false;
                    }
                });
    }

    private Mono<Void> next(Due due) {
        return save(due).doOnSuccess(done -> schedule(due));
    }

    private Mono<Void> save(Due due) {
        return Sql.on(connections).update("insert into simulated_disputes (payment_id, merchant_id, outcome, step, due_at)"
                        + " values ($1, $2, $3, $4, $5) on conflict (payment_id) do update"
                        + " set step = excluded.step, due_at = excluded.due_at",
                due.paymentId(), due.merchantId(), due.outcome().name().toLowerCase(Locale.ROOT),
                due.step().name().toLowerCase(Locale.ROOT), due.dueAt()).then();
    }

    private Mono<Void> forget(Due due) {
        scheduled.remove(due.paymentId());
        return Sql.on(connections).update("delete from simulated_disputes where payment_id = $1", due.paymentId()).then();
    }
}
