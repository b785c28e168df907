package dev.ledgerflow.core.eventstore;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The event store port. Appends are atomic per call and durable when the returned {@code Mono}
 * emits {@link AppendResult.Appended}. The log is read in feed order (see {@link LogPosition}),
 * in which no reader can ever miss or reorder a committed event.
 */
public interface EventStore {

    /** Appends events to one stream if it is at the expected version. */
    default Mono<AppendResult> append(StreamId streamId, ExpectedVersion expected, java.util.List<NewEvent> events) {
        return append(Append.events(streamId, expected, events));
    }

    /** Appends one command's events, balance changes, account openings and idempotent response. */
    Mono<AppendResult> append(Append append);

    /** The events of one stream, oldest first. Empty when the stream does not exist. */
    Flux<RecordedEvent> readStream(StreamId streamId);

    /**
     * The events of one stream after version {@code afterVersion}, oldest first: what a reader that
     * folded the stream up to that version has not seen. Empty when the stream is not past it.
     */
    default Flux<RecordedEvent> readStream(StreamId streamId, long afterVersion) {
        return afterVersion <= 0 ? readStream(streamId) : readStream(streamId).filter(e -> e.streamVersion() > afterVersion);
    }

    /** Up to {@code limit} committed events after {@code after}, in feed order. */
    Flux<RecordedEvent> readLog(LogPosition after, int limit);

    /**
     * Every committed event after {@code after}, in feed order: first what is stored, then each new
     * event as it commits. Honours backpressure; never completes unless cancelled.
     */
    Flux<RecordedEvent> subscribe(LogPosition after);

    /** What is stored for an idempotency key that has not expired, if anything. */
    Mono<java.util.Optional<AppendResult.IdempotentReplay>> idempotencyRecord(String scope, String key);

    /**
     * The feed position of the event at this global position, to resume after it. Position 0 is
     * {@link LogPosition#START}; an unknown position resolves to the nearest event at or below it.
     */
    Mono<LogPosition> logPositionOf(long position);
}
