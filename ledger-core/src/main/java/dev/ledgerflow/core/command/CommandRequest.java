package dev.ledgerflow.core.command;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.eventstore.StreamId;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One command to run against one stream.
 *
 * @param newStream the stream id was just minted, so there is nothing to load
 * @param idempotency the client's idempotency key and request fingerprint: the response is stored under
 *     it in the same transaction as the events
 * @param visibleTo whether the loaded stream is the caller's to change; if not, it is not found
 * @param response how to answer an accepted command, rendered once from the outcome: stored under the
 *     idempotency key, if any, and handed back in {@link CommandResult.Done}
 */
public record CommandRequest<C, S, E, R extends Rejection>(
        Aggregate<C, S, E, R> aggregate,
        StreamId streamId,
        boolean newStream,
        C command,
        EventMetadata metadata,
        Optional<Idempotency> idempotency,
        java.util.function.Predicate<S> visibleTo,
        Optional<Function<Accepted<S, E>, Response>> response) {

    public CommandRequest {
        Objects.requireNonNull(aggregate, "aggregate");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(idempotency, "idempotency");
        Objects.requireNonNull(visibleTo, "visibleTo");
        Objects.requireNonNull(response, "response");
        if (idempotency.isPresent() && response.isEmpty()) {
            throw new IllegalArgumentException("an idempotency key needs a response to remember");
        }
    }

    public static <C, S, E, R extends Rejection> CommandRequest<C, S, E, R> of(
            Aggregate<C, S, E, R> aggregate, StreamId streamId, C command, EventMetadata metadata) {
        return new CommandRequest<>(aggregate, streamId, false, command, metadata, Optional.empty(), state -> true,
                Optional.empty());
    }

    public CommandRequest<C, S, E, R> onNewStream() {
        return new CommandRequest<>(aggregate, streamId, true, command, metadata, idempotency, visibleTo, response);
    }

    /** Remembers the response under the client's key (set {@link #respondWith} first). */
    public CommandRequest<C, S, E, R> withIdempotency(Optional<Idempotency> key) {
        return new CommandRequest<>(aggregate, streamId, newStream, command,
                key.map(k -> metadata.withIdempotencyKey(k.key())).orElse(metadata), key, visibleTo, response);
    }

    /** Records the id of the request that asked for the command in its events' metadata. */
    public CommandRequest<C, S, E, R> withRequestId(String requestId) {
        return new CommandRequest<>(aggregate, streamId, newStream, command, metadata.withRequestId(requestId),
                idempotency, visibleTo, response);
    }

    /** Only if the loaded state passes this (tenancy: the caller's own object) does the command run. */
    public CommandRequest<C, S, E, R> onlyIf(java.util.function.Predicate<S> visible) {
        return new CommandRequest<>(aggregate, streamId, newStream, command, metadata, idempotency, visible, response);
    }

    /** Renders the answer to an accepted command once, as the command is appended. */
    public CommandRequest<C, S, E, R> respondWith(Function<Accepted<S, E>, Response> render) {
        return new CommandRequest<>(aggregate, streamId, newStream, command, metadata, idempotency, visibleTo,
                Optional.of(render));
    }

    /** A client's idempotency key and the fingerprint of the request that used it. */
    public record Idempotency(String scope, String key, String fingerprint, Duration ttl) {}

    /**
     * The state after an accepted command and the events it appended, with the public object of the
     * last event and its JSON as stored with the event (an answer showing that object can reuse the text).
     */
    public record Accepted<S, E>(S state, java.util.List<E> events, Object lastPublicObject, String lastPublicJson) {}

    /** An HTTP response to remember: status and exact body (UTF-8 JSON). */
    public record Response(int status, String body) {}
}
