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
 * @param idempotency the client's idempotency key and request fingerprint, with the response to
 *     remember: rendered from the outcome, stored in the same transaction as the events
 * @param visibleTo whether the loaded stream is the caller's to change; if not, it is not found
 */
public record CommandRequest<C, S, E, R extends Rejection>(
        Aggregate<C, S, E, R> aggregate,
        StreamId streamId,
        boolean newStream,
        C command,
        EventMetadata metadata,
        Optional<Idempotency<S, E>> idempotency,
        java.util.function.Predicate<S> visibleTo) {

    public CommandRequest {
        Objects.requireNonNull(aggregate, "aggregate");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(idempotency, "idempotency");
        Objects.requireNonNull(visibleTo, "visibleTo");
    }

    public static <C, S, E, R extends Rejection> CommandRequest<C, S, E, R> of(
            Aggregate<C, S, E, R> aggregate, StreamId streamId, C command, EventMetadata metadata) {
        return new CommandRequest<>(aggregate, streamId, false, command, metadata, Optional.empty(), state -> true);
    }

    public CommandRequest<C, S, E, R> onNewStream() {
        return new CommandRequest<>(aggregate, streamId, true, command, metadata, idempotency, visibleTo);
    }

    public CommandRequest<C, S, E, R> withIdempotency(Optional<Idempotency<S, E>> key) {
        return new CommandRequest<>(aggregate, streamId, newStream, command,
                key.map(k -> metadata.withIdempotencyKey(k.key())).orElse(metadata), key, visibleTo);
    }

    /** Only if the loaded state passes this (tenancy: the caller's own object) does the command run. */
    public CommandRequest<C, S, E, R> onlyIf(java.util.function.Predicate<S> visible) {
        return new CommandRequest<>(aggregate, streamId, newStream, command, metadata, idempotency, visible);
    }

    /** A client's idempotency key, and how to render the response it will replay. */
    public record Idempotency<S, E>(
            String scope, String key, String fingerprint, Duration ttl, Function<Accepted<S, E>, Response> response) {}

    /** The state after an accepted command and the events it appended. */
    public record Accepted<S, E>(S state, java.util.List<E> events) {}

    /** An HTTP response to remember: status and exact body bytes (UTF-8 JSON). */
    public record Response(int status, String body) {}
}
