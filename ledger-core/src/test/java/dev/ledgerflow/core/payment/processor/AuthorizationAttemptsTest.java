package dev.ledgerflow.core.payment.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.processor.AuthorizationAttempts.Outcome;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The retry schedule of authorizations in virtual time: with 20 ms latency, 2 s per attempt, 4
 * attempts and waits of 100, 200 and 400 ms (no jitter, so the schedule is exact).
 */
class AuthorizationAttemptsTest {

    private static final ProcessorSettings SETTINGS = new ProcessorSettings(
            Duration.ofMillis(20), Duration.ofSeconds(2), 4, Duration.ofMillis(100), Duration.ofSeconds(2), 0, 256);
    private static final String PAYMENT = "pay_01JNZ0000000000000000000001";

    @Test
    void an_approval_answers_after_one_attempt() {
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());

        StepVerifier.withVirtualTime(() -> attempts(acquirer).authorize(card(acquirer, "4242424242424242")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(20))
                .expectNext(new Outcome.Authorized())
                .verifyComplete();
        assertThat(acquirer.calls()).isEqualTo(1);
    }

    @Test
    void a_decline_is_final_and_not_retried() {
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());

        StepVerifier.withVirtualTime(() -> attempts(acquirer).authorize(card(acquirer, "4000000000009995")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(20))
                .expectNext(new Outcome.Failed(FailureCode.INSUFFICIENT_FUNDS))
                .verifyComplete();
        assertThat(acquirer.calls()).isEqualTo(1);
    }

    @Test
    void two_transient_errors_are_retried_after_100_and_200_ms_and_the_third_attempt_approves_at_360_ms() {
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());

        // 0: ask, 20: transient, 120: ask, 140: transient, 340: ask, 360: approved.
        StepVerifier.withVirtualTime(() -> attempts(acquirer).authorize(card(acquirer, "4000000000000119")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(360))
                .expectNext(new Outcome.Authorized())
                .verifyComplete();
        assertThat(acquirer.calls()).isEqualTo(3);
        assertThat(acquirer.charges()).isEqualTo(1);
        assertThat(meters.get("ledger.acquirer.retries").counter().count()).isEqualTo(2);
        assertThat(acquirerCalls("transient_error")).isEqualTo(2);
        assertThat(acquirerCalls("approved")).isEqualTo(1);
    }

    @Test
    void an_acquirer_that_never_answers_times_out_four_times_and_the_payment_fails_with_timeout_at_8_7_s() {
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());

        // Timeouts at 2 s, 4.1 s, 6.3 s and 8.7 s, after waits of 100, 200 and 400 ms.
        StepVerifier.withVirtualTime(() -> attempts(acquirer).authorize(card(acquirer, "4000000000000259")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(8_700))
                .expectNext(new Outcome.Failed(FailureCode.TIMEOUT))
                .verifyComplete();
        assertThat(acquirer.calls()).isEqualTo(4);
        assertThat(acquirer.charges()).isZero();
        assertThat(meters.get("ledger.acquirer.retries").counter().count()).isEqualTo(3);
        assertThat(acquirerCalls("timeout")).isEqualTo(4);
    }

    @Test
    void an_approval_recorded_after_its_caller_timed_out_gives_up_with_timeout_and_is_voided_when_given_up() {
        // The acquirer's book is slow: each approval is recorded 2.5 s after it was asked, past the 2 s
        // the caller waits. The first one still lands (the acquirer finishes what it started).
        AcquirerLedger book = AcquirerLedger.inMemory();
        AcquirerLedger slowBook = new AcquirerLedger() {
            @Override
            public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
                return Mono.delay(Duration.ofMillis(2_500)).then(book.recordOnce(request, answer));
            }

            @Override
            public Mono<Boolean> voidOnce(AuthorizationRequest request) {
                return book.voidOnce(request);
            }
        };
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency(), slowBook);
        AuthorizationRequest request = card(acquirer, "4242424242424242");

        StepVerifier.withVirtualTime(() -> attempts(acquirer).authorize(request))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(30))
                .expectNext(new Outcome.Failed(FailureCode.TIMEOUT))
                .verifyComplete();

        assertThat(acquirer.charges()).as("approved while nobody waited").isEqualTo(1);
        assertThat(acquirer.voids()).as("the attempts leave the void to the processor, once the payment failed").isZero();

        attempts(acquirer).giveUp(request).block(Duration.ofSeconds(10));

        assertThat(acquirer.voids()).as("voided when given up").isEqualTo(1);
        assertThat(book.recordOnce(request, new AcquirerResponse.Approved()).block().answer())
                .as("the request answers voided from then on").isEqualTo(new AcquirerResponse.Voided());
    }

    @Test
    void transient_errors_on_every_attempt_fail_the_payment_with_processing_error() {
        AtomicInteger calls = new AtomicInteger();
        Acquirer down = new Acquirer() {
            @Override
            public Mono<AcquirerResponse> authorize(AuthorizationRequest request) {
                calls.incrementAndGet();
                return Mono.just(new AcquirerResponse.TransientError("down"));
            }

            @Override
            public Mono<Boolean> voidAuthorization(AuthorizationRequest request) {
                return Mono.just(false);
            }

            @Override
            public Mono<AcquirerResponse> refund(RefundRequest request) {
                return Mono.just(new AcquirerResponse.TransientError("down"));
            }

            @Override
            public String tokenize(String cardNumber) {
                return "tok_down";
            }
        };

        StepVerifier.withVirtualTime(() -> attempts(down).authorize(request(new Instrument.CardToken("tok_down"))))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(700))
                .expectNext(new Outcome.Failed(FailureCode.PROCESSING_ERROR))
                .verifyComplete();
        assertThat(calls).hasValue(4);
    }

    @Test
    void jitter_keeps_each_wait_within_its_fraction_of_the_backoff() {
        ProcessorSettings jittered = new ProcessorSettings(Duration.ofMillis(20), Duration.ofSeconds(2), 4,
                Duration.ofMillis(100), Duration.ofSeconds(2), 0.5, 256);
        SimulatedAcquirer acquirer = new SimulatedAcquirer(jittered.acquirerLatency());

        // Without jitter the failure comes at 8.7 s; waits of 700 ms in all may shrink or grow by half.
        StepVerifier.withVirtualTime(() ->
                        new AuthorizationAttempts(acquirer, jittered, new ProcessorMetrics(new SimpleMeterRegistry())).authorize(card(acquirer, "4000000000000259")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(8_000 + 350))
                .thenAwait(Duration.ofMillis(700))
                .expectNext(new Outcome.Failed(FailureCode.TIMEOUT))
                .verifyComplete();
    }

    /** This test's meters (a new instance of the class per test). */
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private AuthorizationAttempts attempts(Acquirer acquirer) {
        return new AuthorizationAttempts(acquirer, SETTINGS, new ProcessorMetrics(meters));
    }

    private long acquirerCalls(String result) {
        return meters.get("ledger.acquirer.latency").tag("result", result).timer().count();
    }

    private static AuthorizationRequest card(Acquirer acquirer, String number) {
        return request(new Instrument.CardToken(acquirer.tokenize(number)));
    }

    private static AuthorizationRequest request(Instrument instrument) {
        return new AuthorizationRequest(PAYMENT, Money.of(1_000, "USD"), instrument);
    }
}
