package dev.ledgerflow.core.command;

import dev.ledgerflow.core.command.CommandExecutor.Loaded;
import dev.ledgerflow.core.eventstore.StreamId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The latest state this instance knows of each recently used stream: a bounded map, least recently
 * used first out, so a stream is folded from the store once rather than on every command and read.
 *
 * <p>An entry may be stale (another instance may have appended since): it is a starting point, never
 * an answer on its own. Commands decide on it and the append's expected version catches a stale one;
 * reads fetch the events after its version, which is nothing when the stream has not moved. An entry
 * only ever moves forward: a slower load never replaces a newer state.
 */
final class StreamCache {

    private record Cached(Aggregate<?, ?, ?, ?> aggregate, Loaded<?> loaded) {}

    private final int streamsMax;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<String, Cached> entries;
    private long hits;
    private long misses;

    StreamCache(int streamsMax) {
        if (streamsMax < 0) {
            throw new IllegalArgumentException("streamsMax must not be negative");
        }
        this.streamsMax = streamsMax;
        // Access order: a get moves the stream to the young end; the eldest is evicted past the bound.
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                return size() > StreamCache.this.streamsMax;
            }
        };
    }

    /** What is known of the stream, if it is cached for this aggregate. */
    @SuppressWarnings("unchecked") // an entry holds the state of the aggregate it was stored for
    <S> Optional<Loaded<S>> get(Aggregate<?, S, ?, ?> aggregate, StreamId streamId) {
        lock.lock();
        try {
            Cached entry = entries.get(streamId.value());
            if (entry == null || entry.aggregate() != aggregate) {
                misses++;
                return Optional.empty();
            }
            hits++;
            return Optional.of((Loaded<S>) entry.loaded());
        } finally {
            lock.unlock();
        }
    }

    /** Remembers a state of the stream unless a state at the same or a later version is known already. */
    <S> void offer(Aggregate<?, S, ?, ?> aggregate, StreamId streamId, Loaded<S> loaded) {
        if (streamsMax == 0 || loaded.version() < 1) {
            return;
        }
        lock.lock();
        try {
            Cached known = entries.get(streamId.value());
            if (known == null || known.aggregate() != aggregate || known.loaded().version() < loaded.version()) {
                entries.put(streamId.value(), new Cached(aggregate, loaded));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the stream: what it holds is unknown (an append whose outcome does not add up). */
    void forget(StreamId streamId) {
        lock.lock();
        try {
            entries.remove(streamId.value());
        } finally {
            lock.unlock();
        }
    }

    CommandExecutor.CacheStats stats() {
        lock.lock();
        try {
            return new CommandExecutor.CacheStats(entries.size(), streamsMax, hits, misses);
        } finally {
            lock.unlock();
        }
    }
}
