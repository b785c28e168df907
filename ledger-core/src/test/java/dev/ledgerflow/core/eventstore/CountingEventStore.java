package dev.ledgerflow.core.eventstore;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A real event store that counts the stream reads asked of it: whole streams, and the events after a version. */
public final class CountingEventStore implements EventStore {

    private final EventStore store;
    private final AtomicInteger wholeStreamReads = new AtomicInteger();
    private final AtomicInteger streamReadsAfterVersion = new AtomicInteger();
    private final AtomicInteger eventsRead = new AtomicInteger();

    public CountingEventStore(EventStore store) {
        this.store = store;
    }

    /** Reads that fold a stream from its first event. */
    public int wholeStreamReads() {
        return wholeStreamReads.get();
    }

    /** Reads of what follows a known version: no rows when the stream has not moved. */
    public int streamReadsAfterVersion() {
        return streamReadsAfterVersion.get();
    }

    public int streamReads() {
        return wholeStreamReads() + streamReadsAfterVersion();
    }

    /** Events those reads returned (each one decoded by the reader). */
    public int eventsRead() {
        return eventsRead.get();
    }

    public void reset() {
        wholeStreamReads.set(0);
        streamReadsAfterVersion.set(0);
        eventsRead.set(0);
    }

    @Override
    public Mono<AppendResult> append(Append append) {
        return store.append(append);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId streamId) {
        wholeStreamReads.incrementAndGet();
        return store.readStream(streamId).doOnNext(event -> eventsRead.incrementAndGet());
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId streamId, long afterVersion) {
        if (afterVersion <= 0) {
            return readStream(streamId);
        }
        streamReadsAfterVersion.incrementAndGet();
        return store.readStream(streamId, afterVersion).doOnNext(event -> eventsRead.incrementAndGet());
    }

    @Override
    public Flux<RecordedEvent> readLog(LogPosition after, int limit) {
        return store.readLog(after, limit);
    }

    @Override
    public Flux<RecordedEvent> subscribe(LogPosition after) {
        return store.subscribe(after);
    }

    @Override
    public Mono<Optional<AppendResult.IdempotentReplay>> idempotencyRecord(String scope, String key) {
        return store.idempotencyRecord(scope, key);
    }

    @Override
    public Mono<LogPosition> logPositionOf(long position) {
        return store.logPositionOf(position);
    }
}
