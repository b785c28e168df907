package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The processor's business meters: payments by method and outcome, the acquirer's answer time by
 * result, and its retries. Every meter is made up front (a handful of tag values), so recording is a
 * lookup in a small array and an add: nothing is allocated per payment.
 */
public final class ProcessorMetrics {

    /** The payment methods, as the {@code method} tag says them. */
    private static final String[] METHODS = {"card", "upi", "wallet"};
    private static final String[] RESULTS = {"approved", "declined", "voided", "transient_error", "timeout", "error"};

    private final Counter[] started = new Counter[METHODS.length];
    /** [method][0] authorized, [method][1 + failure code] failed. */
    private final Counter[][] outcomes = new Counter[METHODS.length][1 + FailureCode.values().length];
    private final Timer[] acquirerLatency = new Timer[RESULTS.length];
    private final Counter acquirerRetries;

    public ProcessorMetrics(MeterRegistry meters) {
        for (int m = 0; m < METHODS.length; m++) {
            started[m] = Counter.builder("ledger.payments.started").tag("method", METHODS[m])
                    .description("Payments the processor took up, by method").register(meters);
            outcomes[m][0] = outcome(meters, METHODS[m], "authorized", "none");
            for (FailureCode code : FailureCode.values()) {
                outcomes[m][1 + code.ordinal()] = outcome(meters, METHODS[m], "failed", code.name().toLowerCase(Locale.ROOT));
            }
        }
        for (int r = 0; r < RESULTS.length; r++) {
            acquirerLatency[r] = Timer.builder("ledger.acquirer.latency").tag("result", RESULTS[r])
                    .description("One authorization call to the acquirer, by its result").register(meters);
        }
        acquirerRetries = Counter.builder("ledger.acquirer.retries")
                .description("Authorization calls repeated after a timeout or a transient error").register(meters);
    }

    private static Counter outcome(MeterRegistry meters, String method, String outcome, String failureCode) {
        return Counter.builder("ledger.payments.outcomes").tag("method", method).tag("outcome", outcome)
                .tag("failure_code", failureCode)
                .description("Payments the processor authorized or failed, by method (recorded once, when the outcome is appended)")
                .register(meters);
    }

    void started(PaymentSource source) {
        started[method(source)].increment();
    }

    void authorized(PaymentSource source) {
        outcomes[method(source)][0].increment();
    }

    void failed(PaymentSource source, FailureCode code) {
        outcomes[method(source)][1 + code.ordinal()].increment();
    }

    void acquirerAnswered(AcquirerResponse response, long nanos) {
        int result = switch (response) {
            case AcquirerResponse.Approved approved -> 0;
            case AcquirerResponse.Declined declined -> 1;
            case AcquirerResponse.Voided voided -> 2;
            case AcquirerResponse.TransientError error -> 3;
        };
        acquirerLatency[result].record(nanos, TimeUnit.NANOSECONDS);
    }

    void acquirerFailed(Throwable error, long nanos) {
        acquirerLatency[error instanceof java.util.concurrent.TimeoutException ? 4 : 5].record(nanos, TimeUnit.NANOSECONDS);
    }

    void acquirerRetried() {
        acquirerRetries.increment();
    }

    private static int method(PaymentSource source) {
        return switch (source) {
            case PaymentSource.Card card -> 0;
            case PaymentSource.Upi upi -> 1;
            case PaymentSource.Wallet wallet -> 2;
        };
    }
}
