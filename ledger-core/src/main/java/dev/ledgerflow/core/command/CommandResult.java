package dev.ledgerflow.core.command;

import dev.ledgerflow.core.eventstore.AppendResult;
import java.util.List;
import java.util.Optional;

/** What became of a command. */
public sealed interface CommandResult<S, E, R> {

    /** Appended durably; {@code response} is the answer the request asked to render (and stored under its idempotency key, if any). */
    record Done<S, E, R>(S state, List<E> events, long lastPosition, Optional<CommandRequest.Response> response)
            implements CommandResult<S, E, R> {}

    /** The stream already held the outcome: nothing appended; the stream's last event is at {@code lastPosition}. */
    record AlreadyDone<S, E, R>(S state, long lastPosition) implements CommandResult<S, E, R> {}

    /** The stream does not exist, or is not the caller's. */
    record NotFound<S, E, R>() implements CommandResult<S, E, R> {}

    /** The decider said no. */
    record Rejected<S, E, R>(R rejection, S state) implements CommandResult<S, E, R> {}

    /** The store's guard said no: insufficient funds, an unknown account or another currency. */
    record StoreRejected<S, E, R>(AppendResult rejection) implements CommandResult<S, E, R> {}

    /** The idempotency key was used before: here is what was stored for it. */
    record Replayed<S, E, R>(AppendResult.IdempotentReplay replay) implements CommandResult<S, E, R> {}
}
