package dev.ledgerflow.core.payment.processor;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import reactor.core.publisher.Mono;

/**
 * The acquirer's book of final answers, by the idempotency key of the request that got each: what
 * makes a repeated request answer the first answer instead of charging again. In memory for one
 * process ({@link #inMemory()}), or shared by every instance in PostgreSQL ({@link PostgresAcquirerLedger}).
 */
public interface AcquirerLedger {

    /**
     * Records {@code answer} as the final answer to {@code request} unless one is recorded already.
     *
     * @param answer {@link AcquirerResponse.Approved} or {@link AcquirerResponse.Declined}
     * @return the recorded answer, and whether it is this call's (a new charge if approved)
     */
    Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer);

    /**
     * Records that the request is given up: an approval becomes {@link AcquirerResponse.Voided}, a
     * request with no answer yet gets that answer (a late approval then finds it and charges nothing),
     * a decline stays as it is.
     *
     * @return whether an approval was voided
     */
    Mono<Boolean> voidOnce(AuthorizationRequest request);

    /** The answer kept for a request ({@link AcquirerResponse.Voided} once given up); {@code first} when this call recorded it. */
    record Recorded(AcquirerResponse answer, boolean first) {
        public Recorded {
            Objects.requireNonNull(answer, "answer");
            if (answer instanceof AcquirerResponse.TransientError) {
                throw new IllegalArgumentException("a transient error is not a final answer");
            }
        }
    }

    /** A ledger in this process's memory: enough for one instance, lost with it. */
    static AcquirerLedger inMemory() {
        ConcurrentMap<String, AcquirerResponse> answers = new ConcurrentHashMap<>();
        return new AcquirerLedger() {
            @Override
            public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
                return Mono.fromSupplier(() -> {
                    AcquirerResponse first = answers.putIfAbsent(request.idempotencyKey(), answer);
                    return first == null ? new Recorded(answer, true) : new Recorded(first, false);
                });
            }

            @Override
            public Mono<Boolean> voidOnce(AuthorizationRequest request) {
                return Mono.fromSupplier(() -> {
                    boolean[] voided = {false};
                    answers.compute(request.idempotencyKey(), (key, before) -> {
                        if (before == null || before instanceof AcquirerResponse.Approved) {
                            voided[0] = before != null;
                            return new AcquirerResponse.Voided();
                        }
                        return before;
                    });
                    return voided[0];
                });
            }
        };
    }
}
