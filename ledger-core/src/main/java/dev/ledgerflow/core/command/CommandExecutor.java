package dev.ledgerflow.core.command;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Load, decide, append: folds the stream, asks the pure decider, appends the events at the version it
 * loaded (with their balance changes and the idempotent response, atomically), and on a version
 * conflict loads and decides again rather than re-appending blindly.
 */
public final class CommandExecutor {

    private static final int ATTEMPTS_MAX = 25;

    private final EventStore store;

    public CommandExecutor(EventStore store) {
        this.store = store;
    }

    /** The state of a stream, its version and the global position of its last event (0 if none). */
    public record Loaded<S>(S state, long version, long lastPosition) {}

    public <C, S, E, R extends Rejection> Mono<Loaded<S>> load(Aggregate<C, S, E, R> aggregate, dev.ledgerflow.core.eventstore.StreamId streamId) {
        Decider<C, S, E, R> decider = aggregate.decider();
        return store.readStream(streamId)
                .collectList()
                .map(events -> {
                    S state = decider.initialState();
                    long version = 0;
                    long lastPosition = 0;
                    for (RecordedEvent recorded : events) {
                        state = decider.evolve(state, aggregate.codec().decode(recorded));
                        version = recorded.streamVersion();
                        lastPosition = recorded.position();
                    }
                    return new Loaded<>(state, version, lastPosition);
                });
    }

    public <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> execute(CommandRequest<C, S, E, R> request) {
        return attempt(request, 1, null);
    }

    /**
     * Executes deciding first on a state the caller has just loaded, saving a read of the stream. A
     * state that went stale meanwhile costs nothing but a retry: the append expects its version, and
     * on a conflict the stream is read again and the command decided anew.
     */
    public <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> execute(CommandRequest<C, S, E, R> request, Loaded<S> known) {
        return attempt(request, 1, java.util.Objects.requireNonNull(known, "known"));
    }

    private <C, S, E, R extends Rejection> Mono<CommandResult<S, E, R>> attempt(
            CommandRequest<C, S, E, R> request, int attempt, Loaded<S> known) {
        Aggregate<C, S, E, R> aggregate = request.aggregate();
        Mono<Loaded<S>> loaded = request.newStream() && attempt == 1
                ? Mono.just(new Loaded<>(aggregate.decider().initialState(), 0, 0))
                : known != null ? Mono.just(known) : load(aggregate, request.streamId());
        return loaded.flatMap(current -> {
            if (!request.newStream() && !request.visibleTo().test(current.state())) {
                return Mono.just(new CommandResult.NotFound<>());
            }
            Decision<E, R> decision = aggregate.decider().decide(request.command(), current.state());
            return switch (decision) {
                case Decision.Rejected<E, R> rejected ->
                        Mono.just(new CommandResult.Rejected<>(rejected.rejection(), current.state()));
                case Decision.Accepted<E, R> accepted when accepted.alreadyDone() ->
                        Mono.just(new CommandResult.AlreadyDone<>(current.state(), current.lastPosition()));
                case Decision.Accepted<E, R> accepted -> append(request, current, accepted.events())
                        .switchIfEmpty(Mono.defer(() -> attempt < ATTEMPTS_MAX
                                ? Mono.delay(Duration.ofMillis(Math.min(50, attempt * 2L))).then(attempt(request, attempt + 1, null))
                                : Mono.error(new ConcurrentUpdateException(request.streamId().value()))));
            };
        });
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
        for (E event : events) {
            state = decider.evolve(state, event);
            newEvents.add(aggregate.codec().encode(event, aggregate.publicObject(state, event), request.metadata()));
            changes.addAll(aggregate.balanceChanges(event));
            openings.addAll(aggregate.accountOpenings(event));
        }
        S stateAfter = state;
        Append append = new Append(request.streamId(), ExpectedVersion.exactly(current.version()), newEvents, changes,
                openings, Optional.empty());
        Optional<CommandRequest.Response> response = Optional.empty();
        if (request.idempotency().isPresent()) {
            CommandRequest.Idempotency<S, E> key = request.idempotency().get();
            CommandRequest.Response rendered = key.response().apply(new CommandRequest.Accepted<>(stateAfter, events));
            response = Optional.of(rendered);
            append = append.withIdempotency(new IdempotencyRecord(
                    key.scope(), key.key(), key.fingerprint(), rendered.status(), rendered.body(), key.ttl()));
        }
        Optional<CommandRequest.Response> stored = response;
        return store.append(append).flatMap(result -> switch (result) {
            case AppendResult.Appended appended ->
                    Mono.just(new CommandResult.Done<S, E, R>(stateAfter, events, appended.lastPosition(), stored));
            case AppendResult.VersionConflict conflict -> Mono.empty();
            case AppendResult.IdempotentReplay replay -> Mono.just(new CommandResult.Replayed<S, E, R>(replay));
            case AppendResult.InsufficientFunds rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
            case AppendResult.UnknownAccount rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
            case AppendResult.CurrencyMismatch rejection -> Mono.just(new CommandResult.StoreRejected<S, E, R>(rejection));
        });
    }

    /** The stream kept changing under us; the client may retry. */
    public static final class ConcurrentUpdateException extends RuntimeException {
        public ConcurrentUpdateException(String streamId) {
            super("stream " + streamId + " kept changing concurrently", null, false, false);
        }
    }
}
