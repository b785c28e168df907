package dev.ledgerflow.gateway.logchain;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.projections.logchain.LogChain;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Publishes signed checkpoints of the chain's head as {@code log.checkpoint} events on the stream
 * {@code log_checkpoints}: every interval, and only when the log moved since the last one (the
 * checkpoint event itself does not count). Safe on several instances: each appends at the version it
 * read, so at one moment one checkpoint wins and the others find a conflict and skip.
 */
public final class LogCheckpoints implements AutoCloseable {

    public static final StreamId STREAM = StreamId.of("log_checkpoints");

    private static final Logger log = LoggerFactory.getLogger(LogCheckpoints.class);

    private final EventStore store;
    private final LogChain chain;
    private final LogSigningKey key;
    private final Clock clock;
    private final Duration interval;
    private Disposable schedule;

    public LogCheckpoints(EventStore store, LogChain chain, LogSigningKey key, Clock clock, Duration interval) {
        this.store = store;
        this.chain = chain;
        this.key = key;
        this.clock = clock;
        this.interval = interval;
    }

    /** Publishes every interval from now on (the first after one interval). */
    public LogCheckpoints start() {
        schedule = Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> publish().onErrorResume(e -> {
                    log.warn("Log checkpoint not published this time: {}", e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
        return this;
    }

    public String publicKeyBase64() {
        return key.publicKeyBase64();
    }

    /** A checkpoint of the head now, appended, unless the log has not moved since the last one. */
    public Mono<Optional<LogCheckpoint>> publish() {
        return Mono.zip(chain.head(), chain.endOf(STREAM.value()).map(Optional::of).defaultIfEmpty(Optional.empty()))
                .flatMap(found -> {
                    LogChain.Head head = found.getT1();
                    Optional<LogChain.StreamEnd> last = found.getT2();
                    if (head.position() == 0 || last.map(end -> end.position() >= head.position()).orElse(false)) {
                        return Mono.just(Optional.<LogCheckpoint>empty());
                    }
                    String signedAt = clock.instant().truncatedTo(ChronoUnit.MILLIS).toString();
                    LogCheckpoint checkpoint = new LogCheckpoint(head.position(), head.hash(), signedAt,
                            LogSigningKey.ALGORITHM, key.publicKeyBase64(),
                            key.sign(LogCheckpoint.message(head.position(), head.hash(), signedAt)));
                    ExpectedVersion expected = last.map(end -> ExpectedVersion.exactly(end.version()))
                            .orElse(ExpectedVersion.noStream());
                    return store.append(STREAM, expected, List.of(event(checkpoint)))
                            .map(result -> result instanceof AppendResult.Appended
                                    ? Optional.of(checkpoint)
                                    : Optional.<LogCheckpoint>empty());
                });
    }

    private static NewEvent event(LogCheckpoint checkpoint) {
        Map<String, Object> data = Map.of("object", "log_checkpoint", "position", checkpoint.position(),
                "hash", checkpoint.hash(), "signed_at", checkpoint.signedAt(), "algorithm", checkpoint.algorithm(),
                "public_key", checkpoint.publicKey(), "signature", checkpoint.signature());
        String json = LedgerJson.mapper().writeValueAsString(data);
        return new NewEvent(UUID.randomUUID(), LogCheckpoint.TYPE, "{\"event\":" + json + ",\"data\":" + json + "}", "{}");
    }

    @Override
    public void close() {
        if (schedule != null) {
            schedule.dispose();
        }
    }
}
