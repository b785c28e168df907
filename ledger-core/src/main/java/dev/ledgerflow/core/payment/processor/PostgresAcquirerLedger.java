package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.postgres.Batcher;
import dev.ledgerflow.core.eventstore.postgres.Batcher.Pending;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * The acquirer's ledger in the table {@code acquirer_charges}, shared by every instance: one statement
 * per batch of final answers (the answers asked for while the previous batch was written), which
 * inserts each unless its key has one and returns the answers that stand.
 */
public final class PostgresAcquirerLedger implements AcquirerLedger {

    // One statement for a batch of answers. The select reads the statement's snapshot, so it never sees
    // the rows the insert just made: one row per key either way. A key another instance is recording at
    // the same moment waits for it at the insert and may then come back with no row (the snapshot
    // predates the other's commit): asked once more, it sees the winner. Inserted in key order, so two
    // instances' batches never wait on each other's keys in opposite orders.
    private static final String RECORD_BATCH = """
            with input as (
                select * from jsonb_to_recordset($1::jsonb) as i(idempotency_key text, payment_id text, amount bigint,
                    currency text, outcome text, failure_code text)),
            recorded as (
                insert into acquirer_charges (idempotency_key, payment_id, amount, currency, outcome, failure_code)
                select idempotency_key, payment_id, amount, currency, outcome, failure_code from input
                order by idempotency_key
                on conflict (idempotency_key) do nothing
                returning idempotency_key, outcome, failure_code)
            select idempotency_key, outcome, failure_code, true as first from recorded
            union all
            select c.idempotency_key, c.outcome, c.failure_code, false
            from acquirer_charges c join input i on i.idempotency_key = c.idempotency_key""";

    /** Answers recorded at once by one statement; more wait for the next (the processor asks up to its concurrency at once). */
    private static final int BATCH_SIZE_MAX = 256;
    private static final int QUEUE_MAX = 100_000;

    // Inserted as voided when no answer is there yet (a late approval then finds it); an approval turns
    // voided; a decline stays. xmax is not 0 on a row this statement updated: the approval it voided.
    private static final String VOID_ONCE = """
            insert into acquirer_charges as c (idempotency_key, payment_id, amount, currency, outcome)
            values ($1, $2, $3, $4, 'voided')
            on conflict (idempotency_key) do update set outcome = 'voided', voided_at = now()
                where c.outcome = 'approved'
            returning (xmax <> 0) as voided_approval""";

    private final ConnectionFactory connections;
    private final Batcher<Answer, Recorded> batches;

    /** @param connections a pooled factory on the database that holds {@code acquirer_charges} */
    public PostgresAcquirerLedger(ConnectionFactory connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.batches = new Batcher<>(BATCH_SIZE_MAX, 1, QUEUE_MAX, this::recordBatch,
                waiting -> new IllegalStateException(waiting + " acquirer answers already waiting to be recorded"));
    }

    /**
     * Records the answer with the answers asked for meanwhile, in one statement and one commit (group
     * commit: alone when nothing else waits).
     */
    @Override
    public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
        return Mono.defer(() -> batches.submit(new Answer(request, outcome(answer), failureCode(answer))));
    }

    @Override
    public Mono<Boolean> voidOnce(AuthorizationRequest request) {
        return Sql.on(connections).query(VOID_ONCE, row -> Boolean.TRUE.equals(row.get("voided_approval", Boolean.class)),
                        request.idempotencyKey(), request.paymentId(), request.amount().amountMinor(),
                        request.amount().currency().code())
                .next()
                .defaultIfEmpty(false); // declined: nothing to void
    }

    /** A final answer to record: its request, {@code approved} or {@code declined}, and a decline's code. */
    private record Answer(AuthorizationRequest request, String outcome, String failureCode) {}

    private static String outcome(AcquirerResponse answer) {
        return switch (answer) {
            case AcquirerResponse.Approved approved -> "approved";
            case AcquirerResponse.Declined declined -> "declined";
            case AcquirerResponse.TransientError error ->
                    throw new IllegalArgumentException("a transient error is not a final answer");
            case AcquirerResponse.Voided voided ->
                    throw new IllegalArgumentException("a request is voided by voidOnce");
        };
    }

    private static String failureCode(AcquirerResponse answer) {
        return answer instanceof AcquirerResponse.Declined declined
                ? declined.failureCode().name().toLowerCase(Locale.ROOT)
                : null;
    }

    /**
     * Records a batch and answers each call. A key asked twice in one batch (a repeat racing its
     * original) is recorded once: its first call gets the statement's answer, the others the same
     * answer as a repeat. Keys that came back without a row are asked once more, alone in their batch.
     */
    private Mono<Void> recordBatch(List<Pending<Answer, Recorded>> batch) {
        Map<String, List<Pending<Answer, Recorded>>> byKey = new LinkedHashMap<>();
        for (Pending<Answer, Recorded> pending : batch) {
            byKey.computeIfAbsent(pending.input().request().idempotencyKey(), key -> new ArrayList<>(1)).add(pending);
        }
        return record(byKey).flatMap(recorded -> {
            Map<String, List<Pending<Answer, Recorded>>> missing = answer(byKey, recorded);
            return missing.isEmpty() ? Mono.<Void>empty() : record(missing).doOnNext(again -> {
                for (var unanswered : answer(missing, again).entrySet()) {
                    unanswered.getValue().forEach(pending -> pending.sink().error(
                            new IllegalStateException("no answer recorded for " + unanswered.getKey())));
                }
            }).then();
        });
    }

    private Mono<Map<String, Recorded>> record(Map<String, List<Pending<Answer, Recorded>>> byKey) {
        String document = LedgerJson.mapper().writeValueAsString(byKey.values().stream()
                .map(calls -> {
                    Answer answer = calls.getFirst().input();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("idempotency_key", answer.request().idempotencyKey());
                    row.put("payment_id", answer.request().paymentId());
                    row.put("amount", answer.request().amount().amountMinor());
                    row.put("currency", answer.request().amount().currency().code());
                    row.put("outcome", answer.outcome());
                    row.put("failure_code", answer.failureCode());
                    return row;
                })
                .toList());
        return Sql.on(connections).query(RECORD_BATCH,
                        row -> Map.entry(row.get("idempotency_key", String.class), recorded(row)), Json.of(document))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    /** Completes the calls whose key has an answer; the rest, by key. */
    private static Map<String, List<Pending<Answer, Recorded>>> answer(
            Map<String, List<Pending<Answer, Recorded>>> byKey, Map<String, Recorded> recorded) {
        Map<String, List<Pending<Answer, Recorded>>> missing = new LinkedHashMap<>();
        byKey.forEach((key, calls) -> {
            Recorded answer = recorded.get(key);
            if (answer == null) {
                missing.put(key, calls);
                return;
            }
            calls.getFirst().sink().success(answer);
            calls.subList(1, calls.size()).forEach(repeat -> repeat.sink().success(new Recorded(answer.answer(), false)));
        });
        return missing;
    }

    private static Recorded recorded(Readable row) {
        boolean first = Boolean.TRUE.equals(row.get("first", Boolean.class));
        AcquirerResponse answer = switch (row.get("outcome", String.class)) {
            case "approved" -> new AcquirerResponse.Approved();
            case "voided" -> new AcquirerResponse.Voided();
            default -> new AcquirerResponse.Declined(FailureCode.valueOf(
                    row.get("failure_code", String.class).toUpperCase(Locale.ROOT)));
        };
        return new Recorded(answer, first);
    }
}
