package dev.ledgerflow.core.command;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.eventstore.AccountOpening;
import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.BalanceChange;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.IdempotencyRecord;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Load, decide, append: folds the stream, asks the pure decider, appends the events at the version it
 * loaded (with their balance changes and the idempotent response, atomically), and on a version
 * conflict loads and decides again rather than re-appending blindly.
 *
 * <p>It remembers the latest state it saw of recently used streams (after each of its appends and
 * loads), in a bounded cache. A command decides first on the remembered state without reading the
 * stream: an acceptance is safe, as the append expects that version and a conflict means read and
 * decide again; a rejection or an "already done" on a remembered state is only answered once the
 * store confirms the stream has not moved. A {@link #load} always asks the store, but only for the
 * events after the remembered version: nothing to decode when the stream has not moved, even if
 * another instance wrote it.
 */
public final class CommandExecutor {

    /** Streams remembered by default: a payment state is about a kilobyte, so this is some megabytes. */
    public static final int CACHED_STREAMS_DEFAULT = 10_000;
    private static final int ATTEMPTS_MAX = 25;

    private final EventStore store;
    private final StreamCache cache;

    public CommandExecutor(EventStore store) {
        this(store, CACHED_STREAMS_DEFAULT);
    }

    /** @param cachedStreamsMax how many streams' states to remember; 0 remembers none */
    public CommandExecutor(EventStore store, int cachedStreamsMax) {
        this.store = java.util.Objects.requireNonNull(store, "store");
        this.cache = new StreamCache(cachedStreamsMax);
    }

    /** The state of a stream, its version and the global position of its last event (0 if none). */
    public record Loaded<S>(S state, long version, long lastPosition) {}

    /** How many streams are remembered, of how many at most, and how often a command or load found one. */
    public record CacheStats(int streams, int streamsMax, long hits, long misses) {}

    /**
     * The stream's state as committed now: the remembered state with the events after it folded on
     * (one indexed query, no rows when the stream has not moved), or the whole stream if none is
     * remembered. Never older than what this executor appended or loaded before.
     */
    public <C, S, E, R extends Rejection> Mono<Loaded<S>> load(Aggregate<C, S, E, R> aggregate, StreamId streamId) {
        Loaded<S> base = cache.get(aggregate, streamId).orElseGet(() -> initial(aggregate));
        return store.readStream(streamId, base.version())
                .collectList()
                .map(events -> {
                    if (events.isEmpty()) {
                        return base;
                    }
                    Decider<C, S, E, R> decider = aggregate.decider();
                    S state = base.state();
                    long version = base.version();
                    long lastPosition = base.lastPosition();
                    for (RecordedEvent recorded : events) {
                        if (recorded.streamVersion() != version + 1) {
                            throw new IllegalStateException("stream " + streamId.value() + " goes from version " + version
                                    + " to " + recorded.streamVersion());
                        }
                        state = decider.evolve(state, aggregate.codec().decode(recorded));
                        version = recorded.streamVersion();
                        lastPosition = recorded.position();
                    }
                    Loaded<S> loaded = new Loaded<>(state, version, lastPosition);
                    cache.offer(aggregate, streamId, loaded);
                    return loaded;
                });
    }

    /**
     * What this executor last saw of the stream, without reading it: possibly stale, so a starting
     * point for a decision the append will check, never an answer to a read.
     */
    public <C, S, E, R extends Rejection> Optional<Loaded<S>> remembered(Aggregate<C, S, E, R> aggregate, StreamId streamId) {
        return cache.get(aggregate, streamId);
    }

    public CacheStats cacheStats() {
        return cache.stats();
    }

    public <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> execute(CommandRequest<C, S, E, R> request) {
        return attempt(request, 1, null, true);
    }

    /**
     * Executes deciding first on a state the caller knows (folded from events it was handed, say),
     * or on the remembered one if that is newer, saving a read of the stream. A state that went stale
     * meanwhile costs nothing but a retry: the append expects its version, and on a conflict the
     * stream is read again and the command decided anew.
     */
    public <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> execute(CommandRequest<C, S, E, R> request, Loaded<S> known) {
        return attempt(request, 1, java.util.Objects.requireNonNull(known, "known"), true);
    }

    /**
     * One decision: on the new stream's initial state, on a known or remembered state (unconfirmed),
     * or on the state loaded now (confirmed).
     *
     * @param trustKnown whether a known or remembered state may be decided on without reading the stream
     */
    private <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> attempt(
            CommandRequest<C, S, E, R> request, int attempt, Loaded<S> known, boolean trustKnown) {
        Aggregate<C, S, E, R> aggregate = request.aggregate();
        if (request.newStream() && attempt == 1) {
            return decide(request, attempt, initial(aggregate), true);
        }
        if (trustKnown) {
            Optional<Loaded<S>> remembered = cache.get(aggregate, request.streamId());
            Optional<Loaded<S>> start = known == null
                    ? remembered
                    : Optional.of(remembered.filter(r -> r.version() > known.version()).orElse(known));
            if (start.isPresent()) {
                return decide(request, attempt, start.get(), false);
            }
        }
        return load(aggregate, request.streamId()).flatMap(current -> decide(request, attempt, current, true));
    }

    private <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> decide(
            CommandRequest<C, S, E, R> request, int attempt, Loaded<S> current, boolean confirmed) {
        Aggregate<C, S, E, R> aggregate = request.aggregate();
        // Only an append checks a state; any other answer given on an unconfirmed one is checked first.
        Mono<CommandResult<S, E, R>> confirm = Mono.defer(() -> attempt(request, attempt, null, false));
        if (!request.newStream() && !request.visibleTo().test(current.state())) {
            return confirmed ? Mono.just(new CommandResult.NotFound<>()) : confirm;
        }
        Decision<E, R> decision = aggregate.decider().decide(request.command(), current.state());
        return switch (decision) {
            case Decision.Rejected<E, R> rejected -> confirmed
                    ? Mono.just(new CommandResult.Rejected<>(rejected.rejection(), current.state()))
                    : confirm;
            case Decision.Accepted<E, R> accepted when accepted.alreadyDone() -> confirmed
                    ? Mono.just(new CommandResult.AlreadyDone<>(current.state(), current.lastPosition()))
                    : confirm;
            case Decision.Accepted<E, R> accepted -> append(request, current, accepted.events())
                    .switchIfEmpty(Mono.defer(() -> attempt < ATTEMPTS_MAX
                            ? Mono.delay(Duration.ofMillis(Math.min(50, attempt * 2L)))
                                    .then(attempt(request, attempt + 1, null, false))
                            : Mono.error(new ConcurrentUpdateException(request.streamId().value()))));
        };
    }

    private static <C, S, E, R extends Rejection> Loaded<S> initial(Aggregate<C, S, E, R> aggregate) {
        return new Loaded<>(aggregate.decider().initialState(), 0, 0);
    }

    /** Appends the accepted events; completes empty on a version conflict (to decide again). */
    private <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> append(
            CommandRequest<C, S, E, R> request, Loaded<S> current, List<E> events) {
        Aggregate<C, S, E, R> aggregate = request.aggregate();
        Decider<C, S, E, R> decider = aggregate.decider();
        S state = current.state();
        List<NewEvent> newEvents = new ArrayList<>(events.size());
        List<BalanceChange> changes = new ArrayList<>();
        List<AccountOpening> openings = new ArrayList<>();
        Object publicObject = null;
        String publicJson = null;
        for (E event : events) {
            state = decider.evolve(state, event);
            publicObject = aggregate.publicObject(state, event);
            publicJson = LedgerJson.mapper().writeValueAsString(publicObject);
            newEvents.add(aggregate.codec().encodeWithData(event, publicJson, request.metadata()));
            changes.addAll(aggregate.balanceChanges(event));
            openings.addAll(aggregate.accountOpenings(event));
        }
        S stateAfter = state;
        Append append = new Append(request.streamId(), ExpectedVersion.exactly(current.version()), newEvents, changes,
                openings, Optional.empty());
        Optional<CommandRequest.Response> response = Optional.empty();
        if (request.response().isPresent()) {
            CommandRequest.Response rendered = request.response().get()
                    .apply(new CommandRequest.Accepted<>(stateAfter, events, publicObject, publicJson));
            response = Optional.of(rendered);
            if (request.idempotency().isPresent()) {
                CommandRequest.Idempotency key = request.idempotency().get();
                append = append.withIdempotency(new IdempotencyRecord(
                        key.scope(), key.key(), key.fingerprint(), rendered.status(), rendered.body(), key.ttl()));
            }
        }
        Optional<CommandRequest.Response> stored = response;
        return store.append(append).flatMap(result -> switch (result) {
            case AppendResult.Appended appended -> {
                remember(request, new Loaded<>(stateAfter, current.version() + events.size(), appended.lastPosition()),
                        appended.streamVersion());
                yield Mono.just(new CommandResult.Done<S, E, R>(stateAfter, events, appended.lastPosition(), stored));
            }
            case AppendResult.VersionConflict conflict -> Mono.empty();
            case AppendResult.IdempotentReplay replay -> Mono.just(new CommandResult.Replayed<S, E, R>(replay));
            case AppendResult.InsufficientFunds rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
            case AppendResult.UnknownAccount rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
            case AppendResult.CurrencyMismatch rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
        });
    }

    /** Remembers the state after an append, if the store's version agrees with the one it was decided at. */
    private <C, S, E, R extends Rejection> void remember(CommandRequest<C, S, E, R> request, Loaded<S> after, long storedVersion) {
        if (storedVersion == after.version()) {
            cache.offer(request.aggregate(), request.streamId(), after);
        } else {
            cache.forget(request.streamId());
        }
    }

    /** The stream kept changing under us; the client may retry. */
    public static final class ConcurrentUpdateException extends RuntimeException {
        public ConcurrentUpdateException(String streamId) {
            super("stream " + streamId + " kept changing concurrently", null, false, false);
        }
    }
}
