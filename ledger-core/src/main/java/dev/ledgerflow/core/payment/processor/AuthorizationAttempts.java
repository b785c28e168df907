package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.FailureCode;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Asks the acquirer until it answers for good: each attempt bounded by a timeout, transient errors
 * and timeouts retried with exponential backoff and jitter, then given up as {@code timeout} or
 * {@code processing_error}. Safe to retry because the acquirer is idempotent by the request's key (payment and attempt).
 */
final class AuthorizationAttempts {

    private static final Logger log = LoggerFactory.getLogger(AuthorizationAttempts.class);

    private final Acquirer acquirer;
    private final ProcessorSettings settings;
    private final ProcessorMetrics metrics;

    AuthorizationAttempts(Acquirer acquirer, ProcessorSettings settings, ProcessorMetrics metrics) {
        this.acquirer = acquirer;
        this.settings = settings;
        this.metrics = metrics;
    }

    /** The final outcome of an authorization. */
    sealed interface Outcome {
        record Authorized() implements Outcome {}

        record Failed(FailureCode failureCode) implements Outcome {}
    }

    /** The acquirer's final answer, or the failure the processor gives up with; never errors. */
    Mono<Outcome> authorize(AuthorizationRequest request) {
        return Mono.defer(() -> {
                    long startNanos = System.nanoTime();
                    return acquirer.authorize(request)
                            .timeout(settings.attemptTimeout())
                            .doOnNext(response -> metrics.acquirerAnswered(response, System.nanoTime() - startNanos))
                            .doOnError(error -> metrics.acquirerFailed(error, System.nanoTime() - startNanos));
                })
                .flatMap(response -> switch (response) {
                    case AcquirerResponse.Approved approved -> Mono.<Outcome>just(new Outcome.Authorized());
                    case AcquirerResponse.Declined declined ->
                            Mono.<Outcome>just(new Outcome.Failed(declined.failureCode()));
                    // Given up earlier (by a processor that then stopped before recording it): the same outcome.
                    case AcquirerResponse.Voided voided -> Mono.<Outcome>just(new Outcome.Failed(FailureCode.TIMEOUT));
                    case AcquirerResponse.TransientError error ->
                            Mono.<Outcome>error(new TransientAcquirerException(error));
                })
                .retryWhen(Retry.backoff(settings.attemptsMax() - 1L, settings.retryDelayFirst())
                        .maxBackoff(settings.retryDelayMax())
                        .jitter(settings.retryJitter())
                        .doBeforeRetry(signal -> {
                            metrics.acquirerRetried();
                            log.debug("Authorization of {} failed (attempt {}), retrying: {}",
                                    request.paymentId(), signal.totalRetries() + 1, signal.failure().toString());
                        })
                        .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                .onErrorResume(error -> {
                    // Anything else (a broken connection to a real acquirer) is a processing error too:
                    // failing the payment beats stalling the feed behind it.
                    FailureCode code =
                            error instanceof TimeoutException ? FailureCode.TIMEOUT : FailureCode.PROCESSING_ERROR;
                    log.info("Authorization of {} gave up after {} attempts: {} ({})", request.paymentId(),
                            settings.attemptsMax(), code, error.toString());
                    return Mono.just(new Outcome.Failed(code));
                });
    }

    /**
     * Voids the request at the acquirer: an attempt that timed out may still have been approved (the
     * acquirer decided after the caller stopped waiting), or be approved later. The processor calls it
     * once the payment is failed in the log (never before: a run handed a stale state could otherwise
     * void the approval of a payment that succeeded), and for an approval that came after a cancel, so
     * a failed or canceled payment never leaves money reserved or charged. Retried like the attempts;
     * if the acquirer cannot be reached for that either, the error goes to the feed, which hands the
     * event over again, and the processor voids a payment failed on timeouts again.
     */
    Mono<Void> giveUp(AuthorizationRequest request) {
        return Mono.defer(() -> acquirer.voidAuthorization(request))
                .timeout(settings.attemptTimeout())
                .retryWhen(Retry.backoff(settings.attemptsMax() - 1L, settings.retryDelayFirst())
                        .maxBackoff(settings.retryDelayMax())
                        .jitter(settings.retryJitter())
                        .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                .doOnNext(voided -> {
                    if (voided) {
                        log.warn("Authorization of {} was approved after its caller gave up or the payment was canceled: voided",
                                request.paymentId());
                    }
                })
                .then();
    }

    /** The acquirer answered {@link AcquirerResponse.TransientError}: worth another attempt. */
    static final class TransientAcquirerException extends RuntimeException {
        TransientAcquirerException(AcquirerResponse.TransientError error) {
            super("acquirer transient error: " + error.reason(), null, false, false);
        }
    }
}
