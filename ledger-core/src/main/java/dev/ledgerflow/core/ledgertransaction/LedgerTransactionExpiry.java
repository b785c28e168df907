package dev.ledgerflow.core.ledgertransaction;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.feed.FeedHandler;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.ExpirePending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionVoided;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
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
 * Expires pending ledger transactions at the time recorded in their {@code ledger_transaction.pending}
 * event, surviving restarts.
 *
 * <p>It rides on the payment processor's feed consumer (no checkpoint of its own, so no statement more
 * per page): for each pending event with an expiry it writes a row to {@code
 * ledger_transaction_expiries} before the checkpoint moves past the event, and sets a timer. When the
 * timer fires it appends the expiry ({@code ExpirePending}, recorded at the expiry time however late it
 * runs), then deletes the row; a post or void deletes it earlier. After a restart, {@link #start()}
 * sets a timer for every row: one whose time has passed fires at once. Duplicates are harmless: an
 * expiry of a transaction that is no longer pending is "already done", and the append expects the
 * version it decided at.
 */
public final class LedgerTransactionExpiry implements FeedHandler, Disposable {

    private static final Logger log = LoggerFactory.getLogger(LedgerTransactionExpiry.class);
    private static final LedgerTransactionAggregate TRANSACTIONS = LedgerTransactionAggregate.INSTANCE;
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private final ConnectionFactory connections;
    private final CommandExecutor commands;
    private final InstantSource clock;
    private final Scheduler timers;
    private final Map<String, Disposable> scheduled = new ConcurrentHashMap<>();
    private volatile boolean disposed;

    public LedgerTransactionExpiry(ConnectionFactory connections, CommandExecutor commands, InstantSource clock) {
        this(connections, commands, clock, Schedulers.parallel());
    }

    public LedgerTransactionExpiry(ConnectionFactory connections, CommandExecutor commands, InstantSource clock,
            Scheduler timers) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.commands = Objects.requireNonNull(commands, "commands");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
    }

    /** Sets a timer for every pending transaction that waits to expire (after a restart: those of before). */
    public Mono<Void> start() {
        return Sql.on(connections).query("select transaction_id, merchant_id, expires_at from ledger_transaction_expiries",
                        row -> new Due(row.get("transaction_id", String.class), row.get("merchant_id", String.class),
                                Sql.instant(row, "expires_at")))
                .doOnNext(this::schedule)
                .then();
    }

    /** How many transactions have a timer set. */
    public int scheduledCount() {
        return scheduled.size();
    }

    @Override
    public Mono<Void> handle(RecordedEvent recorded) {
        return switch (recorded.type()) {
            case LedgerTransactionPending.TYPE -> Mono.defer(() -> {
                var pending = (LedgerTransactionPending) TRANSACTIONS.codec().decode(recorded);
                if (pending.expiresAt() == null) {
                    return Mono.empty();
                }
                Due due = new Due(pending.transactionId(), pending.merchantId(), pending.expiresAt());
                return remember(due).doOnSuccess(done -> schedule(due));
            });
            // Only the post of a pending transaction (a direct post is version 1) and a void resolve one.
            case LedgerTransactionPosted.TYPE, LedgerTransactionVoided.TYPE -> recorded.streamVersion() == 1
                    ? Mono.empty()
                    : Mono.defer(() -> forget(recorded.streamId().value(), true));
            default -> Mono.empty();
        };
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

    private record Due(String transactionId, String merchantId, Instant expiresAt) {}

    private void schedule(Due due) {
        if (disposed) {
            return;
        }
        scheduled.computeIfAbsent(due.transactionId(), id -> {
            Duration wait = Duration.between(clock.instant(), due.expiresAt());
            return Mono.delay(wait.isNegative() ? Duration.ZERO : wait, timers)
                    .then(Mono.defer(() -> expire(due)))
                    .subscribe(null, error -> {
                        log.warn("Expiry of ledger transaction {} failed; retrying", id, error);
                        scheduled.remove(id);
                        Mono.delay(RETRY_DELAY, timers).subscribe(tick -> schedule(due));
                    });
        });
    }

    /** Appends the expiry; the row goes once the transaction is no longer pending. */
    private Mono<Void> expire(Due due) {
        var command = new ExpirePending(due.transactionId(), clock.instant());
        return commands.execute(CommandRequest.of(TRANSACTIONS, StreamId.of(due.transactionId()), command,
                        EventMetadata.of(due.merchantId())))
                .flatMap(result -> {
                    if (result instanceof CommandResult.Rejected<?, ?, ?> rejected
                            && rejected.rejection() instanceof LedgerTransactionRejection r
                            && r.reason() == LedgerTransactionRejection.Reason.NOT_YET_EXPIRED) {
                        // This clock is behind the one that recorded the expiry: try again shortly.
                        return Mono.error(new IllegalStateException("not yet expired by this instance's clock"));
                    }
                    if (result instanceof CommandResult.Rejected<?, ?, ?> || result instanceof CommandResult.StoreRejected<?, ?, ?>) {
                        log.warn("Expiry of ledger transaction {}: {}", due.transactionId(), result);
                    }
                    return forget(due.transactionId(), false);
                });
    }

    private Mono<Void> remember(Due due) {
        return Sql.on(connections).update("insert into ledger_transaction_expiries (transaction_id, merchant_id, expires_at)"
                + " values ($1, $2, $3) on conflict do nothing", due.transactionId(), due.merchantId(), due.expiresAt()).then();
    }

    /** @param cancelTimer whether to cancel its timer (not when called from that timer) */
    private Mono<Void> forget(String transactionId, boolean cancelTimer) {
        Disposable timer = scheduled.remove(transactionId);
        return Sql.on(connections).update("delete from ledger_transaction_expiries where transaction_id = $1", transactionId)
                .then()
                .doOnSuccess(done -> {
                    // After a post or void, the timer is no longer needed.
                    if (cancelTimer && timer != null) {
                        timer.dispose();
                    }
                });
    }
}
