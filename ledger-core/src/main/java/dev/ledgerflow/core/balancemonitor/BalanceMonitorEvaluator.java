package dev.ledgerflow.core.balancemonitor;

import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.FeedPlace;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.ObserveBalance;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorCreated;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorDeleted;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.Status;
import dev.ledgerflow.core.balancemonitor.domain.Condition;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedBatchHandler;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.posting.domain.Postings;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Evaluates balance monitors against the feed: folds every merchant account's posted and pending
 * balance event by event, in feed order, and after each event that moves a monitored account reports
 * the watched balance to the monitor ({@code ObserveBalance}), whose decider fires or re-arms it.
 *
 * <p>Exactly once, across crashes, restarts and a change of the instance that runs it: the balances
 * and the watched monitors are kept in PostgreSQL ({@code balance_monitor_balances}, {@code
 * balance_monitor_watches}), each row with the feed place of the last event folded into it, written
 * after the batch's reports are appended and before the consumer's checkpoint moves. A batch handed
 * over again re-folds only what its rows do not hold yet, so it computes the very balances of the first
 * time and reports them with the same causing event; the monitor's decider answers "already done" to a
 * report at or before the last one that changed it, so nothing fires twice. It must run on one
 * instance at a time (a single-active lease group) and handle one batch at a time (concurrency 1).
 *
 * <p>What it costs: one statement per batch that moves money (the batch's accounts' balances and
 * monitors read at once) and one transaction writing them back; a monitored account's event costs a
 * load of the monitor (from the executor's cache) and an append only when the monitor fires or
 * re-arms.
 */
public final class BalanceMonitorEvaluator implements FeedBatchHandler {

    public static final String CONSUMER = "balance-monitors";

    private static final Logger log = LoggerFactory.getLogger(BalanceMonitorEvaluator.class);
    private static final BalanceMonitorAggregate MONITORS = BalanceMonitorAggregate.INSTANCE;
    private static final FeedConsumer.Batching BATCHING = new FeedConsumer.Batching(512, Duration.ofMillis(5));

    private static final String LOAD = "select a.account_id, b.posted, b.pending, b.txid as b_txid, b.position as b_position,"
            + " w.monitor_id, w.merchant_id, w.field, w.operator, w.threshold, w.hysteresis, w.overdraft_limit,"
            + " w.txid as w_txid, w.position as w_position"
            + " from unnest($1::text[]) as a (account_id)"
            + " left join balance_monitor_balances b on b.account_id = a.account_id"
            + " left join balance_monitor_watches w on w.account_id = a.account_id";
    private static final String SAVE_BALANCES = "insert into balance_monitor_balances as b"
            + " (account_id, posted, pending, txid, position)"
            + " select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])"
            + " on conflict (account_id) do update set posted = excluded.posted, pending = excluded.pending,"
            + " txid = excluded.txid, position = excluded.position"
            + " where (b.txid, b.position) < (excluded.txid, excluded.position)";
    private static final String ADD_WATCH = "insert into balance_monitor_watches (monitor_id, account_id, merchant_id,"
            + " field, operator, threshold, hysteresis, overdraft_limit, txid, position)"
            + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing";
    private static final String REMOVE_WATCH = "delete from balance_monitor_watches where monitor_id = $1";

    private final ConnectionFactory connections;
    private final CommandExecutor commands;

    public BalanceMonitorEvaluator(ConnectionFactory connections, CommandExecutor commands) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    /**
     * Its feed consumer: one batch at a time, under its own checkpoint, saved every 10 s or 5,000 events
     * (not every second: most events move no merchant account and cost it nothing, so the save would
     * be most of its statements; what a crash hands over again is skipped or re-folded harmlessly).
     */
    public FeedConsumer consumer(EventStore store, CheckpointStore checkpoints, FeedConsumer.Settings settings) {
        FeedConsumer.Settings own = new FeedConsumer.Settings(1, 5_000, Duration.ofSeconds(10), settings.handlerTimeout(),
                settings.restartDelayFirst(), settings.restartDelayMax());
        return new FeedConsumer(CONSUMER, store, checkpoints, this, own, BATCHING);
    }

    /** A monitor as the evaluator watches it; {@code created} is the feed place of its created event. */
    record Watch(String monitorId, String accountId, String merchantId, Condition condition, long overdraftLimitMinor,
            FeedPlace created) {}

    /** An account's balance, and the feed place of the last event folded into it. */
    static final class Balance {
        long posted;
        long pending;
        FeedPlace through;
        final FeedPlace loadedThrough;
        boolean changed;

        Balance(long posted, long pending, FeedPlace through) {
            this.posted = posted;
            this.pending = pending;
            this.through = through;
            this.loadedThrough = through;
        }
    }

    /** One posting's change of a merchant account. */
    private record Change(String accountId, long postedDelta, long pendingDelta) {}

    /** What one event means here. */
    private record Parsed(RecordedEvent event, FeedPlace place, List<Change> changes, Watch created, String deleted) {}

    /** The batch being evaluated: balances and watches of its accounts, the monitors' known statuses. */
    private static final class Batch {
        final Map<String, Balance> balances = new HashMap<>();
        final Map<String, Map<String, Watch>> watches = new HashMap<>();
        final Map<String, Status> statuses = new HashMap<>();
        final List<Watch> added = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
    }

    @Override
    public Mono<Void> handle(List<RecordedEvent> events) {
        return Mono.defer(() -> {
            List<Parsed> parsed = new ArrayList<>();
            Set<String> accounts = new LinkedHashSet<>();
            for (RecordedEvent event : events) {
                Parsed p = parse(event);
                if (p != null) {
                    parsed.add(p);
                    p.changes().forEach(change -> accounts.add(change.accountId()));
                    if (p.created() != null) {
                        accounts.add(p.created().accountId());
                    }
                }
            }
            if (parsed.isEmpty()) {
                return Mono.empty();
            }
            Batch batch = new Batch();
            return load(batch, accounts)
                    .thenMany(Flux.fromIterable(parsed).concatMap(p -> Flux.fromIterable(evaluate(batch, p))
                            .concatMap(observation -> observe(batch, observation))))
                    .then(Mono.defer(() -> save(batch)));
        });
    }

    private static Parsed parse(RecordedEvent event) {
        FeedPlace place = new FeedPlace(event.logPosition().txid(), event.logPosition().position());
        if (BalanceMonitorCreated.TYPE.equals(event.type())) {
            var created = (BalanceMonitorCreated) MONITORS.codec().decode(event);
            return new Parsed(event, place, List.of(), new Watch(created.monitorId(), created.accountId(),
                    created.merchantId(), created.condition(), created.overdraftLimitMinor(), place), null);
        }
        if (BalanceMonitorDeleted.TYPE.equals(event.type())) {
            return new Parsed(event, place, List.of(), null, event.streamId().value());
        }
        // Only events that move money list postings; most others are skipped without parsing.
        if (!event.payloadJson().contains("\"postings\"")) {
            return null;
        }
        JsonNode postings = LedgerJson.mapper().readTree(event.payloadJson()).path("event").path("postings");
        List<Change> changes = new ArrayList<>();
        for (JsonNode posting : postings) {
            String accountId = posting.path("account_id").asString();
            if (!Postings.isSystemAccount(accountId)) {
                changes.add(new Change(accountId, posting.path("posted_delta_minor").asLong(),
                        posting.path("pending_delta_minor").asLong()));
            }
        }
        return changes.isEmpty() ? null : new Parsed(event, place, changes, null, null);
    }

    private Mono<Void> load(Batch batch, Set<String> accounts) {
        return Flux.usingWhen(connections.create(),
                        c -> Flux.from(c.createStatement(LOAD).bind("$1", accounts.toArray(String[]::new)).execute())
                                .flatMap(result -> result.map(row -> {
                                    read(batch, row);
                                    return true;
                                })),
                        Connection::close)
                .then();
    }

    private static void read(Batch batch, Readable row) {
        String accountId = row.get("account_id", String.class);
        Long txid = row.get("b_txid", Long.class);
        batch.balances.computeIfAbsent(accountId, id -> txid == null
                ? new Balance(0, 0, null)
                : new Balance(row.get("posted", Long.class), row.get("pending", Long.class),
                        new FeedPlace(txid, row.get("b_position", Long.class))));
        String monitorId = row.get("monitor_id", String.class);
        if (monitorId != null) {
            Condition condition = new Condition(Condition.Field.valueOf(row.get("field", String.class)),
                    Condition.Operator.valueOf(row.get("operator", String.class)), row.get("threshold", Long.class),
                    row.get("hysteresis", Long.class));
            batch.watches.computeIfAbsent(accountId, id -> new LinkedHashMap<>()).put(monitorId, new Watch(monitorId,
                    accountId, row.get("merchant_id", String.class), condition, row.get("overdraft_limit", Long.class),
                    new FeedPlace(row.get("w_txid", Long.class), row.get("w_position", Long.class))));
        }
    }

    private record Observation(Watch watch, long balanceMinor, FeedPlace cause, Instant at) {}

    /**
     * Folds one event into the batch's balances and says which monitors to report to. An account whose
     * saved row already holds this event was evaluated for it before the crash: it is neither folded
     * nor reported again.
     */
    private static List<Observation> evaluate(Batch batch, Parsed parsed) {
        FeedPlace place = parsed.place();
        Instant at = parsed.event().recordedAt();
        List<Observation> observations = new ArrayList<>();
        if (parsed.deleted() != null) {
            batch.watches.values().forEach(byId -> byId.remove(parsed.deleted()));
            batch.removed.add(parsed.deleted());
            return observations;
        }
        if (parsed.created() != null) {
            Watch watch = parsed.created();
            batch.watches.computeIfAbsent(watch.accountId(), id -> new LinkedHashMap<>()).put(watch.monitorId(), watch);
            batch.added.add(watch);
            Balance balance = batch.balances.get(watch.accountId());
            if (isNew(balance, place)) {
                observations.add(observation(watch, balance, place, at));
            }
            return observations;
        }
        Set<String> moved = new LinkedHashSet<>();
        for (Change change : parsed.changes()) {
            Balance balance = batch.balances.get(change.accountId());
            if (isNew(balance, place)) {
                balance.posted = Math.addExact(balance.posted, change.postedDelta());
                balance.pending = Math.addExact(balance.pending, change.pendingDelta());
                balance.changed = true;
                moved.add(change.accountId());
            }
        }
        for (String accountId : moved) {
            Balance balance = batch.balances.get(accountId);
            balance.through = place;
            for (Watch watch : batch.watches.getOrDefault(accountId, Map.of()).values()) {
                if (place.isAfter(watch.created())) {
                    Observation observation = observation(watch, balance, place, at);
                    if (worthReporting(batch.statuses.get(watch.monitorId()), observation)) {
                        observations.add(observation);
                    }
                }
            }
        }
        return observations;
    }

    private static boolean isNew(Balance balance, FeedPlace place) {
        return balance.loadedThrough == null || place.isAfter(balance.loadedThrough);
    }

    private static Observation observation(Watch watch, Balance balance, FeedPlace place, Instant at) {
        long watched = watch.condition().balanceOf(balance.posted, balance.pending, watch.overdraftLimitMinor());
        return new Observation(watch, watched, place, at);
    }

    /** Only what may change the monitor goes to its decider; an unknown status asks it. */
    private static boolean worthReporting(Status known, Observation observation) {
        if (known == null) {
            return true;
        }
        Condition condition = observation.watch().condition();
        return switch (known) {
            case ARMED -> condition.holds(observation.balanceMinor());
            case TRIGGERED -> condition.rearms(observation.balanceMinor());
            case DELETED -> false;
        };
    }

    private Mono<Void> observe(Batch batch, Observation observation) {
        Watch watch = observation.watch();
        var command = new ObserveBalance(watch.monitorId(), observation.balanceMinor(), observation.cause(),
                observation.at());
        return commands.execute(CommandRequest.of(MONITORS, StreamId.of(watch.monitorId()), command,
                        EventMetadata.of(watch.merchantId())))
                .doOnNext(result -> {
                    BalanceMonitorState state = switch (result) {
                        case CommandResult.Done<BalanceMonitorState, ?, ?> done -> done.state();
                        case CommandResult.AlreadyDone<BalanceMonitorState, ?, ?> done -> done.state();
                        case CommandResult.Rejected<BalanceMonitorState, ?, ?> rejected -> rejected.state();
                        default -> null;
                    };
                    if (state instanceof BalanceMonitorState.BalanceMonitor monitor) {
                        batch.statuses.put(watch.monitorId(), monitor.status());
                    } else {
                        log.warn("Balance monitor {}: observation answered {}", watch.monitorId(), result);
                        batch.statuses.put(watch.monitorId(), Status.DELETED);
                    }
                })
                .then();
    }

    private Mono<Void> save(Batch batch) {
        List<Map.Entry<String, Balance>> changed = batch.balances.entrySet().stream()
                .filter(entry -> entry.getValue().changed)
                .toList();
        if (changed.isEmpty() && batch.added.isEmpty() && batch.removed.isEmpty()) {
            return Mono.empty();
        }
        // Sql.inTransaction: rolled back and the connection returned on failure or cancellation too
        // (rolled back but never closed, a failed save used to keep its pooled connection for good).
        return Sql.inTransaction(connections, c -> Flux.concat(saveBalances(c, changed),
                        Flux.fromIterable(batch.added).concatMap(w -> addWatch(c, w)),
                        Flux.fromIterable(batch.removed).concatMap(id -> removeWatch(c, id))))
                .then();
    }

    private static Mono<Long> saveBalances(Connection c, List<Map.Entry<String, Balance>> changed) {
        if (changed.isEmpty()) {
            return Mono.empty();
        }
        int n = changed.size();
        String[] ids = new String[n];
        Long[] posted = new Long[n];
        Long[] pending = new Long[n];
        Long[] txids = new Long[n];
        Long[] positions = new Long[n];
        for (int i = 0; i < n; i++) {
            Balance balance = changed.get(i).getValue();
            ids[i] = changed.get(i).getKey();
            posted[i] = balance.posted;
            pending[i] = balance.pending;
            txids[i] = balance.through.txid();
            positions[i] = balance.through.position();
        }
        return Flux.from(c.createStatement(SAVE_BALANCES).bind("$1", ids).bind("$2", posted).bind("$3", pending)
                        .bind("$4", txids).bind("$5", positions).execute())
                .flatMap(result -> Mono.from(result.getRowsUpdated()))
                .reduce(0L, Long::sum);
    }

    private static Mono<Long> addWatch(Connection c, Watch watch) {
        Condition condition = watch.condition();
        return Flux.from(c.createStatement(ADD_WATCH).bind("$1", watch.monitorId()).bind("$2", watch.accountId())
                        .bind("$3", watch.merchantId()).bind("$4", condition.field().name())
                        .bind("$5", condition.operator().name()).bind("$6", condition.thresholdMinor())
                        .bind("$7", condition.hysteresisMinor()).bind("$8", watch.overdraftLimitMinor())
                        .bind("$9", watch.created().txid()).bind("$10", watch.created().position()).execute())
                .flatMap(result -> Mono.from(result.getRowsUpdated()))
                .reduce(0L, Long::sum);
    }

    private static Mono<Long> removeWatch(Connection c, String monitorId) {
        return Flux.from(c.createStatement(REMOVE_WATCH).bind("$1", monitorId).execute())
                .flatMap(result -> Mono.from(result.getRowsUpdated()))
                .reduce(0L, Long::sum);
    }

    /** Where the evaluator's saved fold of an account is (for tests and operators); START when none. */
    public Mono<LogPosition> foldedThrough(String accountId) {
        return Flux.usingWhen(connections.create(),
                        c -> Flux.from(c.createStatement("select txid, position from balance_monitor_balances"
                                        + " where account_id = $1").bind("$1", accountId).execute())
                                .flatMap(result -> result.map(row -> new LogPosition(row.get("txid", Long.class),
                                        row.get("position", Long.class)))),
                        Connection::close)
                .next()
                .defaultIfEmpty(LogPosition.START);
    }
}
