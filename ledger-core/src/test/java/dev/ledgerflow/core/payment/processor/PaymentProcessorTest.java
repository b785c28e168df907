package dev.ledgerflow.core.payment.processor;

import static dev.ledgerflow.core.payment.processor.PaymentLedger.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CancelPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreateRefund;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import dev.ledgerflow.core.payment.domain.RefundStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The payment processor on the feed of a real PostgreSQL: every test card and UPI handle ends in its
 * documented status. Latency, timeout and waits are short (5 ms, 250 ms per attempt, 10–40 ms).
 */
class PaymentProcessorTest {

    private static final ProcessorSettings SETTINGS = new ProcessorSettings(
            Duration.ofMillis(5), Duration.ofMillis(250), 4, Duration.ofMillis(10), Duration.ofMillis(40), 0.5, 256);

    private static PaymentLedger ledger;
    private static SimulatedAcquirer acquirer;
    private static FeedConsumer consumer;

    @BeforeAll
    static void startProcessor() {
        ledger = new PaymentLedger();
        acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency(), AcquirerLedger.inMemory(), Duration.ofSeconds(2));
        PaymentProcessor processor = new PaymentProcessor(ledger.commands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new SimpleMeterRegistry()));
        consumer = processor.consumer(ledger.store, ledger.checkpoints).start();
    }

    @AfterAll
    static void stopProcessor() {
        consumer.stop().block(WAIT);
        ledger.close();
    }

    @ParameterizedTest(name = "{0}, {1} capture: {2} {3}")
    @CsvSource({
        "4242424242424242, AUTOMATIC, SUCCEEDED,",
        "4242424242424242, MANUAL,    REQUIRES_CAPTURE,",
        "4000000000000002, AUTOMATIC, FAILED, CARD_DECLINED",
        "4000000000009995, AUTOMATIC, FAILED, INSUFFICIENT_FUNDS",
        "4000000000009995, MANUAL,    FAILED, INSUFFICIENT_FUNDS",
        "4000000000000119, AUTOMATIC, SUCCEEDED,",
        "4000000000000259, AUTOMATIC, FAILED, TIMEOUT",
        "5555555555554444, AUTOMATIC, SUCCEEDED,",
    })
    void each_test_card_ends_in_its_documented_status(
            String number, CaptureMethod captureMethod, PaymentStatus status, FailureCode failureCode) {
        String payment = ledger.cardPayment(acquirer, number, captureMethod);

        PaymentState.Payment done = awaitDecided(payment);
        assertThat(done.status()).isEqualTo(status);
        assertThat(done.failureCode()).isEqualTo(failureCode);
        assertThat(ledger.events(payment)).hasSize(2); // created, then exactly one outcome
    }

    @ParameterizedTest(name = "{0}: {1} {2}")
    @CsvSource({
        "success@upi,    SUCCEEDED,",
        "failure@upi,    FAILED, CARD_DECLINED",
        "someone@okbank, SUCCEEDED,",
    })
    void each_upi_handle_ends_in_its_documented_status(String vpa, PaymentStatus status, FailureCode failureCode) {
        String payment = ledger.upiPayment(vpa);

        PaymentState.Payment done = awaitDecided(payment);
        assertThat(done.status()).isEqualTo(status);
        assertThat(done.failureCode()).isEqualTo(failureCode);
    }

    @Test
    void the_transient_card_succeeds_on_the_third_attempt_with_one_charge() {
        long callsBefore = acquirer.calls();
        long chargesBefore = acquirer.charges();

        String payment = ledger.cardPayment(acquirer, "4000000000000119", CaptureMethod.AUTOMATIC);

        assertThat(awaitDecided(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(acquirer.calls() - callsBefore).isEqualTo(3);
        assertThat(acquirer.charges() - chargesBefore).isEqualTo(1);
        assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.succeeded");
    }

    @Test
    void the_unanswering_card_fails_with_timeout_after_every_attempt_timed_out() {
        long callsBefore = acquirer.calls();

        String payment = ledger.cardPayment(acquirer, "4000000000000259", CaptureMethod.AUTOMATIC);

        assertThat(awaitDecided(payment).failureCode()).isEqualTo(FailureCode.TIMEOUT);
        assertThat(acquirer.calls() - callsBefore).isEqualTo(SETTINGS.attemptsMax());
        assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.failed");
    }

    @Test
    void a_wallet_payment_is_authorized_without_asking_the_acquirer() {
        long callsBefore = acquirer.calls();

        String automatic = ledger.walletPayment(2_500, CaptureMethod.AUTOMATIC);
        String manual = ledger.walletPayment(2_500, CaptureMethod.MANUAL);

        assertThat(awaitDecided(automatic).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(awaitDecided(automatic).amountCapturedMinor()).isEqualTo(2_500);
        assertThat(awaitDecided(manual).status()).isEqualTo(PaymentStatus.REQUIRES_CAPTURE);
        assertThat(acquirer.calls()).isEqualTo(callsBefore);
    }

    @Test
    void an_outcome_is_caused_by_the_created_event_and_belongs_to_the_payments_merchant() {
        String payment = ledger.cardPayment(acquirer, "4242424242424242", CaptureMethod.AUTOMATIC);
        awaitDecided(payment);

        List<RecordedEvent> events = ledger.events(payment);
        EventMetadata outcome = LedgerJson.mapper().readValue(events.get(1).metadataJson(), EventMetadata.class);
        assertThat(outcome.merchant()).isEqualTo(ledger.merchant);
        assertThat(outcome.causationId()).isEqualTo(events.get(0).eventId().toString());
    }

    @Test
    void a_requested_refund_is_completed() {
        String payment = ledger.cardPayment(acquirer, "4242424242424242", CaptureMethod.AUTOMATIC);
        assertThat(awaitDecided(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        String refund = Ids.newId("re", Instant.now());

        ledger.execute(new CreateRefund(payment, refund, OptionalLong.of(400), "damaged", Instant.now()));

        await().atMost(WAIT).until(() -> ledger.payment(payment).refund(refund).orElseThrow().status() == RefundStatus.SUCCEEDED);
        assertThat(ledger.payment(payment).amountRefundedMinor()).isEqualTo(400);
        assertThat(ledger.eventTypes(payment)).endsWith("refund.created", "refund.succeeded");
    }

    @Test
    void a_refund_the_acquirer_declines_fails_and_its_amount_is_refundable_again() {
        String payment = ledger.cardPayment(acquirer, "4000000000005126", CaptureMethod.AUTOMATIC);
        assertThat(awaitDecided(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        String refund = Ids.newId("re", Instant.now());

        ledger.execute(new CreateRefund(payment, refund, OptionalLong.of(400), "damaged", Instant.now()));

        await().atMost(WAIT).until(() -> ledger.payment(payment).refund(refund).orElseThrow().status() == RefundStatus.FAILED);
        assertThat(ledger.payment(payment).refund(refund).orElseThrow().failureCode())
                .isEqualTo(FailureCode.EXPIRED_OR_CANCELED_CARD);
        assertThat(ledger.payment(payment).amountRefundedMinor()).isZero();
        assertThat(ledger.payment(payment).amountRefundableMinor()).isEqualTo(1_000);
        assertThat(ledger.eventTypes(payment)).endsWith("refund.created", "refund.failed");
    }

    @Test
    void a_late_refund_stays_pending_until_the_acquirer_answers_then_succeeds() {
        String payment = ledger.cardPayment(acquirer, "4000000000007726", CaptureMethod.AUTOMATIC);
        assertThat(awaitDecided(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        String refund = Ids.newId("re", Instant.now());
        long asked = acquirer.refundCalls();

        ledger.execute(new CreateRefund(payment, refund, OptionalLong.empty(), null, Instant.now()));

        await().atMost(WAIT).until(() -> acquirer.refundCalls() > asked);
        assertThat(ledger.payment(payment).refund(refund).orElseThrow().status()).isEqualTo(RefundStatus.PENDING);
        await().atMost(WAIT).until(() -> ledger.payment(payment).refund(refund).orElseThrow().status() == RefundStatus.SUCCEEDED);
        assertThat(ledger.payment(payment).amountRefundedMinor()).isEqualTo(1_000);
    }

    @Test
    void a_payment_canceled_while_the_acquirer_is_asked_stays_canceled_and_the_processor_moves_on() {
        String payment = ledger.cardPayment(acquirer, "4000000000000259", CaptureMethod.MANUAL);
        ledger.execute(new CancelPayment(payment, Instant.now()));
        String next = ledger.cardPayment(acquirer, "4242424242424242", CaptureMethod.AUTOMATIC);

        assertThat(awaitDecided(next).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        await().atMost(WAIT).until(() -> consumer.checkpoint().position() >= ledger.events(next).getFirst().position());
        assertThat(ledger.payment(payment).status()).isEqualTo(PaymentStatus.CANCELED);
        assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.canceled");
    }

    @Test
    void an_approval_that_comes_after_the_payment_was_canceled_is_voided_at_the_acquirer() {
        // The acquirer decides only when the test lets it: after the payment was canceled.
        Sinks.One<Boolean> decide = Sinks.one();
        AtomicInteger asked = new AtomicInteger();
        SimulatedAcquirer simulated = new SimulatedAcquirer(Duration.ZERO);
        Acquirer held = new Acquirer() {
            @Override
            public Mono<AcquirerResponse> authorize(AuthorizationRequest request) {
                asked.incrementAndGet();
                return decide.asMono().then(simulated.authorize(request));
            }

            @Override
            public Mono<Boolean> voidAuthorization(AuthorizationRequest request) {
                return simulated.voidAuthorization(request);
            }

            @Override
            public Mono<AcquirerResponse> refund(RefundRequest request) {
                return simulated.refund(request);
            }

            @Override
            public String tokenize(String cardNumber) {
                return simulated.tokenize(cardNumber);
            }
        };
        ProcessorSettings patient = new ProcessorSettings(Duration.ZERO, Duration.ofSeconds(30), 1, Duration.ofMillis(10),
                Duration.ofMillis(40), 0.5, 16);
        try (PaymentLedger own = new PaymentLedger()) {
            FeedConsumer processor = new PaymentProcessor(own.commands, held, patient, Clock.systemUTC(),
                    new ProcessorMetrics(new SimpleMeterRegistry())).consumer(own.store, own.checkpoints).start();
            try {
                String payment = own.cardPayment(held, "4242424242424242", CaptureMethod.MANUAL);
                await().atMost(WAIT).until(() -> asked.get() == 1);
                own.execute(new CancelPayment(payment, Instant.now()));

                decide.tryEmitValue(true);

                await().atMost(WAIT).until(() -> simulated.voids() == 1);
                assertThat(simulated.charges()).as("approved").isEqualTo(1);
                assertThat(own.payment(payment).status()).isEqualTo(PaymentStatus.CANCELED);
                assertThat(own.eventTypes(payment)).containsExactly("payment.created", "payment.canceled");
            } finally {
                processor.stop().block(WAIT);
            }
        }
    }

    @Test
    void a_payment_given_up_on_timeouts_fails_and_an_approval_that_comes_late_is_voided() {
        // The acquirer's book records each answer 1.5 s after it was asked, when the processor (4 attempts
        // of 250 ms) has given up: the approval and the processor's void land in either order.
        AcquirerLedger book = AcquirerLedger.inMemory();
        AtomicInteger recorded = new AtomicInteger();
        AtomicInteger voidsAsked = new AtomicInteger();
        AcquirerLedger slowBook = new AcquirerLedger() {
            @Override
            public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
                return Mono.delay(Duration.ofMillis(1_500)).then(book.recordOnce(request, answer))
                        .doOnNext(done -> recorded.incrementAndGet());
            }

            @Override
            public Mono<Boolean> voidOnce(AuthorizationRequest request) {
                return book.voidOnce(request).doOnNext(done -> voidsAsked.incrementAndGet());
            }
        };
        SimulatedAcquirer slow = new SimulatedAcquirer(Duration.ZERO, slowBook);
        try (PaymentLedger own = new PaymentLedger()) {
            FeedConsumer processor = new PaymentProcessor(own.commands, slow, SETTINGS, Clock.systemUTC(),
                    new ProcessorMetrics(new SimpleMeterRegistry())).consumer(own.store, own.checkpoints).start();
            try {
                String payment = own.cardPayment(slow, "4242424242424242", CaptureMethod.AUTOMATIC);

                PaymentState.Payment failed = await().atMost(WAIT)
                        .until(() -> own.payment(payment), p -> p.status() != PaymentStatus.PROCESSING);
                await().atMost(WAIT).until(() -> recorded.get() >= 1 && voidsAsked.get() >= 1);

                assertThat(failed.status()).isEqualTo(PaymentStatus.FAILED);
                assertThat(failed.failureCode()).isEqualTo(FailureCode.TIMEOUT);
                assertThat(slow.charges()).as("charged only if voided (%d approvals recorded first)", slow.charges())
                        .isEqualTo(slow.voids());
            } finally {
                processor.stop().block(WAIT);
            }
        }
    }

    @Test
    void a_run_handed_a_stale_payment_that_times_out_never_voids_the_approval_of_a_payment_that_succeeded() {
        // The chaos run's case: after a restart the processor is handed payment.created again and decides
        // on the state the event gives (processing), but the log already has the payment succeeded; the
        // acquirer is too slow to answer now. Failing it is refused by the log, so its approval stays.
        AcquirerLedger book = AcquirerLedger.inMemory();
        SimulatedAcquirer fast = new SimulatedAcquirer(Duration.ZERO, book);
        try (PaymentLedger own = new PaymentLedger()) {
            FeedConsumer first = new PaymentProcessor(own.commands, fast, SETTINGS, Clock.systemUTC(),
                    new ProcessorMetrics(new SimpleMeterRegistry())).consumer(own.store, own.checkpoints).start();
            String payment;
            try {
                payment = own.cardPayment(fast, "4242424242424242", CaptureMethod.AUTOMATIC);
                await().atMost(WAIT).until(() -> own.payment(payment).status() == PaymentStatus.SUCCEEDED);
            } finally {
                first.stop().block(WAIT);
            }
            AtomicInteger voidsAsked = new AtomicInteger();
            AcquirerLedger unanswering = new AcquirerLedger() {
                @Override
                public Mono<Recorded> recordOnce(AuthorizationRequest request, AcquirerResponse answer) {
                    return Mono.never();
                }

                @Override
                public Mono<Boolean> voidOnce(AuthorizationRequest request) {
                    voidsAsked.incrementAndGet();
                    return book.voidOnce(request);
                }
            };
            PaymentProcessor restarted = new PaymentProcessor(new CommandExecutor(own.store),
                    new SimulatedAcquirer(Duration.ZERO, unanswering), SETTINGS, Clock.systemUTC(),
                    new ProcessorMetrics(new SimpleMeterRegistry()));

            restarted.handle(own.events(payment).getFirst()).block(WAIT);

            assertThat(own.payment(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
            assertThat(voidsAsked.get()).as("no void of a payment the log has as succeeded").isZero();
            AuthorizationRequest request = new AuthorizationRequest(payment, own.payment(payment).amount(),
                    new AuthorizationRequest.Instrument.CardToken(fast.tokenize("4242424242424242")));
            assertThat(book.recordOnce(request, new AcquirerResponse.Declined(FailureCode.CARD_DECLINED)).block(WAIT).answer())
                    .as("still approved at the acquirer").isEqualTo(new AcquirerResponse.Approved());
        }
    }

    private static PaymentState.Payment awaitDecided(String paymentId) {
        return await().atMost(WAIT).until(() -> ledger.payment(paymentId), p -> p.status() != PaymentStatus.PROCESSING);
    }
}
