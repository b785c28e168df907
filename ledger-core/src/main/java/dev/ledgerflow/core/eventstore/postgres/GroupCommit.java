package dev.ledgerflow.core.eventstore.postgres;

import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.Overloaded;
import dev.ledgerflow.core.eventstore.postgres.Batcher.Pending;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Group commit: appends that arrive while a batch is being written wait for the next batch, and a
 * whole batch is one call of {@code ledger_append_batch}: one transaction, one WAL flush. Each
 * append's outcome is the same as if it had run alone, in batch order. Batching is adaptive: under
 * light load a batch holds one append and adds no delay; under heavy load batches grow.
 *
 * <p>The queue is bounded: an append that finds {@code queueMax} appends already waiting is refused at
 * once with {@link Overloaded}, before anything is written (admission control: a fast "retry later"
 * rather than latency without bound).
 */
final class GroupCommit {

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    private static final String APPEND_BATCH = "select * from ledger_append_batch($1)";
    private static final int RETRIES_ON_DEADLOCK = 5;

    private final ConnectionFactory connections;
    private final Runnable onCommitted;
    private final GroupCommitStats stats;
    private final Batcher<Append, AppendResult> batches;

    GroupCommit(ConnectionFactory connections, int batchSizeMax, int batchesInFlightMax, int queueMax,
            Runnable onCommitted, MeterRegistry meters) {
        this.connections = connections;
        this.onCommitted = onCommitted;
        this.batches = new Batcher<>(batchSizeMax, batchesInFlightMax, queueMax, this::write, waiting -> {
            stats().recordOverloaded();
            return new Overloaded(waiting);
        });
        this.stats = new GroupCommitStats(meters, batches::waiting);
    }

    Mono<AppendResult> submit(Append append) {
        return batches.submit(append);
    }

    /** Appends waiting for a batch right now. */
    int waiting() {
        return batches.waiting();
    }

    GroupCommitStats stats() {
        return stats;
    }

    private Mono<Void> write(List<Pending<Append, AppendResult>> batch) {
        stats.recordBatchStart(batch.getFirst().submittedNanos(), System.nanoTime());
        return write(batch, RETRIES_ON_DEADLOCK);
    }

    /** Writes one batch and completes every append in it; never errors itself (nor throws: see the defer). */
    private Mono<Void> write(List<Pending<Append, AppendResult>> batch, int retriesLeft) {
        List<Append> appends = batch.stream().map(Pending::input).toList();
        // Deferred: a failure while building the statement must complete the batch's appends and free
        // its place in flight like any other failure, not escape drain() and stall group commit for good.
        return Mono.defer(() -> execute(appends))
                .doOnNext(results -> {
                    stats.recordBatch(batch.size());
                    onCommitted.run();
                    long doneNanos = System.nanoTime();
                    for (int i = 0; i < batch.size(); i++) {
                        Pending<Append, AppendResult> pending = batch.get(i);
                        stats.recordAppend(pending.submittedNanos(), doneNanos);
                        pending.sink().success(results.get(i));
                    }
                })
                .then()
                .onErrorResume(error -> {
                    if (retriesLeft > 0 && isRetryable(error)) {
                        log.debug("batch of {} hit {}, retrying", batch.size(), error.toString());
                        return write(batch, retriesLeft - 1);
                    }
                    if (batch.size() > 1 && isStatementError(error)) {
                        // One bad append must not fail the others: write each alone, and only the offender fails.
                        log.warn("batch of {} failed ({}); writing its appends one by one", batch.size(), error.toString());
                        stats.recordSplit();
                        return Flux.fromIterable(batch).concatMap(p -> write(List.of(p), retriesLeft)).then();
                    }
                    batch.forEach(p -> p.sink().error(error));
                    return Mono.empty();
                });
    }

    /**
     * One batch: one statement, its own (implicit) transaction. Its rows are taken as written only once
     * the statement has answered in full, and PostgreSQL answers it only after the commit: the rows,
     * {@code CommandComplete} and {@code ReadyForQuery} leave the server together, when the commit at
     * {@code Sync} is flushed. A commit that waits, fails or dies with its connection leaves the batch
     * unacknowledged ({@code GroupCommitDurabilityTest}). An explicit {@code BEGIN}/{@code COMMIT} (tried
     * after a chaos run's lost capture, whose cause was an empty 200 from the HTTP layer instead) added two
     * round trips per batch and no safety.
     */
    private Mono<List<AppendResult>> execute(List<Append> appends) {
        String document = AppendBatchJson.encode(appends);
        return Mono.usingWhen(
                connections.create(),
                connection -> Flux.from(connection.createStatement(APPEND_BATCH).bind("$1", Json.of(document)).execute())
                        .flatMap(result -> result.map(GroupCommit::toIndexedResult))
                        .collectList()
                        .map(rows -> inOrder(rows, appends.size())),
                Connection::close);
    }

    private static List<AppendResult> inOrder(List<IndexedResult> rows, int size) {
        AppendResult[] ordered = new AppendResult[size];
        for (IndexedResult row : rows) {
            ordered[row.index()] = row.result();
        }
        for (int i = 0; i < size; i++) {
            if (ordered[i] == null) {
                throw new IllegalStateException("ledger_append_batch returned no outcome for append " + i);
            }
        }
        return List.of(ordered);
    }

    private static IndexedResult toIndexedResult(Readable row) {
        int index = row.get("idx", Integer.class);
        String outcome = row.get("outcome", String.class);
        String detail = row.get("detail", String.class);
        AppendResult result = switch (outcome) {
            case "ok" -> new AppendResult.Appended(
                    row.get("first_position", Long.class),
                    row.get("last_position", Long.class),
                    row.get("stream_version", Long.class));
            case "conflict" -> new AppendResult.VersionConflict(row.get("stream_version", Long.class));
            case "insufficient_funds" -> new AppendResult.InsufficientFunds(detail);
            case "unknown_account" -> new AppendResult.UnknownAccount(detail);
            case "currency_mismatch" -> new AppendResult.CurrencyMismatch(detail);
            case "replay" -> new AppendResult.IdempotentReplay(
                    row.get("fingerprint", String.class),
                    row.get("response_status", Integer.class),
                    row.get("response_body", String.class),
                    row.get("last_position", Long.class));
            default -> throw new IllegalStateException("unknown append outcome: " + outcome);
        };
        return new IndexedResult(index, result);
    }

    /** Deadlock and serialisation failures abort the whole transaction and are safe to retry. */
    private static boolean isRetryable(Throwable error) {
        return error instanceof R2dbcException e
                && ("40P01".equals(e.getSqlState()) || "40001".equals(e.getSqlState()));
    }

    /**
     * An error raised by a statement: not a lost connection (whose outcome is unknown), nor a database
     * that is down, starting or read-only, where writing the appends one by one would only fail each again.
     */
    private static boolean isStatementError(Throwable error) {
        return error instanceof R2dbcException e && e.getSqlState() != null && !PostgresUnavailable.explains(error);
    }

    private record IndexedResult(int index, AppendResult result) {}
}
