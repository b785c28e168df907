package dev.ledgerflow.core.payment.domain;

import static dev.ledgerflow.core.payment.domain.CaptureMethod.AUTOMATIC;
import static dev.ledgerflow.core.payment.domain.CaptureMethod.MANUAL;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.AMOUNT_INVALID;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.CAPTURE_EXCEEDS_AUTHORIZED;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.CURRENCY_MISMATCH;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.INVALID_STATE;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.PAYMENT_EXISTS;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.PAYMENT_NOT_FOUND;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_EXCEEDS_CAPTURED;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_EXISTS;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_NOT_FOUND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.PaymentCommand.AuthorizePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CancelPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CapturePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CompleteRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreatePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreateRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.DisputePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.ResolveDispute;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentCanceled;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentCreated;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentDisputeLost;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentDisputeWon;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentDisputed;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentFailed;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentRequiresCapture;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentSucceeded;
import dev.ledgerflow.core.payment.domain.PaymentEvent.RefundCreated;
import dev.ledgerflow.core.payment.domain.PaymentEvent.RefundFailed;
import dev.ledgerflow.core.payment.domain.PaymentEvent.RefundSucceeded;
import dev.ledgerflow.core.payment.domain.PaymentSource.Card;
import dev.ledgerflow.core.payment.domain.PaymentSource.Upi;
import dev.ledgerflow.core.payment.domain.PaymentSource.Wallet;
import dev.ledgerflow.core.payment.domain.PaymentState.Payment;
import dev.ledgerflow.core.posting.domain.Posting;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PaymentDomainTest {

    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final Instant T1 = T0.plusSeconds(1);
    static final Instant T2 = T0.plusSeconds(2);
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");
    static final String PAY = "pay_1";
    static final String MERCHANT = "mer_1";
    static final String WALLET_ACCOUNT = "acc_w";
    static final String CLEARING = "sys_card_clearing_USD";
    static final String SETTLEMENT = "set_mer_1_USD";
    static final PaymentSource CARD = new Card(CardBrand.VISA, "4242", "fp_9f86d0", 12, 2030, "tok_sim_approve");
    static final PaymentSource UPI = new Upi("success@upi");
    static final PaymentSource WALLET = new Wallet(WALLET_ACCOUNT, USD);

    final DeciderSpec<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> spec =
            DeciderSpec.of(new PaymentDecider());

    // Commands.

    static CreatePayment create(long amountMinor, CaptureMethod method, PaymentSource source) {
        return new CreatePayment(PAY, MERCHANT, usd(amountMinor), method, source, "order 7", Map.of("order", "7"), T0);
    }

    static AuthorizePayment authorize() {
        return new AuthorizePayment(PAY, T1);
    }

    static FailPayment fail(FailureCode code) {
        return new FailPayment(PAY, code, T1);
    }

    static CapturePayment capture() {
        return new CapturePayment(PAY, OptionalLong.empty(), T2);
    }

    static CapturePayment capture(long amountMinor) {
        return new CapturePayment(PAY, OptionalLong.of(amountMinor), T2);
    }

    static CancelPayment cancel() {
        return new CancelPayment(PAY, T2);
    }

    static CreateRefund refund(String refundId) {
        return new CreateRefund(PAY, refundId, OptionalLong.empty(), "requested_by_customer", T2);
    }

    static CreateRefund refund(String refundId, long amountMinor) {
        return new CreateRefund(PAY, refundId, OptionalLong.of(amountMinor), "requested_by_customer", T2);
    }

    static CompleteRefund completeRefund(String refundId) {
        return new CompleteRefund(PAY, refundId, T2);
    }

    static FailRefund failRefund(String refundId) {
        return new FailRefund(PAY, refundId, FailureCode.EXPIRED_OR_CANCELED_CARD, T2);
    }

    // Events.

    static Money usd(long amountMinor) {
        return Money.of(amountMinor, USD);
    }

    static PaymentCreated created(long amountMinor, CaptureMethod method, PaymentSource source) {
        List<Posting> hold = source instanceof Wallet ? List.of(new Posting(WALLET_ACCOUNT, USD, 0, amountMinor)) : List.of();
        return new PaymentCreated(PAY, MERCHANT, usd(amountMinor), method, source, "order 7", Map.of("order", "7"), T0,
                hold);
    }

    static PaymentRequiresCapture requiresCapture(long amountMinor) {
        return new PaymentRequiresCapture(PAY, usd(amountMinor), T1);
    }

    /** A capture from card clearing (card and UPI) to settlement. */
    static PaymentSucceeded capturedFromClearing(long capturedMinor, long releasedMinor, Instant at) {
        return new PaymentSucceeded(PAY, usd(capturedMinor), usd(releasedMinor), at, List.of(
                new Posting(CLEARING, USD, -capturedMinor, 0), new Posting(SETTLEMENT, USD, capturedMinor, 0)));
    }

    /** A capture from the wallet to settlement, which releases the whole hold. */
    static PaymentSucceeded capturedFromWallet(long capturedMinor, long releasedMinor, Instant at) {
        long heldMinor = capturedMinor + releasedMinor;
        return new PaymentSucceeded(PAY, usd(capturedMinor), usd(releasedMinor), at, List.of(
                new Posting(WALLET_ACCOUNT, USD, -capturedMinor, -heldMinor),
                new Posting(SETTLEMENT, USD, capturedMinor, 0)));
    }

    static PaymentSucceeded captured(PaymentSource source, long capturedMinor, long releasedMinor) {
        return source instanceof Wallet
                ? capturedFromWallet(capturedMinor, releasedMinor, T2)
                : capturedFromClearing(capturedMinor, releasedMinor, T2);
    }

    static List<Posting> releaseOf(PaymentSource source, long heldMinor) {
        return source instanceof Wallet ? List.of(new Posting(WALLET_ACCOUNT, USD, 0, -heldMinor)) : List.of();
    }

    static RefundCreated refundCreated(String refundId, long amountMinor) {
        return new RefundCreated(PAY, refundId, usd(amountMinor), "requested_by_customer", T2,
                List.of(new Posting(SETTLEMENT, USD, 0, amountMinor)));
    }

    /** A refund recorded before refunds held their amount: its payload has no postings. */
    static RefundCreated refundCreatedWithoutHold(String refundId, long amountMinor) {
        return new RefundCreated(PAY, refundId, usd(amountMinor), "requested_by_customer", T2, null);
    }

    static RefundSucceeded refundSucceeded(String refundId, long amountMinor) {
        return new RefundSucceeded(PAY, refundId, usd(amountMinor), T2, List.of(
                new Posting(SETTLEMENT, USD, -amountMinor, -amountMinor), new Posting(CLEARING, USD, amountMinor, 0)));
    }

    static RefundFailed refundFailed(String refundId, long amountMinor) {
        return new RefundFailed(PAY, refundId, usd(amountMinor), FailureCode.EXPIRED_OR_CANCELED_CARD, T2,
                List.of(new Posting(SETTLEMENT, USD, 0, -amountMinor)));
    }

    static DisputePayment dispute() {
        return new DisputePayment(PAY, T2);
    }

    static ResolveDispute resolve(DisputeStatus outcome) {
        return new ResolveDispute(PAY, outcome, T2);
    }

    static PaymentDisputed disputed(long amountMinor) {
        return new PaymentDisputed(PAY, usd(amountMinor), T2, List.of(new Posting(SETTLEMENT, USD, 0, amountMinor)));
    }

    static PaymentDisputeWon disputeWon(long amountMinor) {
        return new PaymentDisputeWon(PAY, usd(amountMinor), T2, List.of(new Posting(SETTLEMENT, USD, 0, -amountMinor)));
    }

    static PaymentDisputeLost disputeLost(long amountMinor) {
        return new PaymentDisputeLost(PAY, usd(amountMinor), T2, List.of(
                new Posting(SETTLEMENT, USD, -amountMinor, -amountMinor), new Posting(CLEARING, USD, amountMinor, 0)));
    }

    /** The history of a manual payment of 1000 that reached {@code status}. */
    static PaymentEvent[] historyOf(PaymentStatus status, PaymentSource source) {
        PaymentCreated created = created(1_000, MANUAL, source);
        return switch (status) {
            case PROCESSING -> new PaymentEvent[] {created};
            case REQUIRES_CAPTURE -> new PaymentEvent[] {created, requiresCapture(1_000)};
            case SUCCEEDED -> new PaymentEvent[] {created, requiresCapture(1_000), captured(source, 1_000, 0)};
            case FAILED -> new PaymentEvent[] {
                created, new PaymentFailed(PAY, FailureCode.CARD_DECLINED, T1, releaseOf(source, 1_000))
            };
            case CANCELED -> new PaymentEvent[] {created, new PaymentCanceled(PAY, T1, releaseOf(source, 1_000))};
        };
    }

    static Payment paymentOf(PaymentState state) {
        assertThat(state).isInstanceOf(Payment.class);
        return (Payment) state;
    }

    @Nested
    class Creating {

        @ParameterizedTest
        @MethodSource("dev.ledgerflow.core.payment.domain.PaymentDomainTest#externalSources")
        void a_card_or_upi_payment_starts_processing_and_moves_no_money(PaymentSource source) {
            Payment payment = paymentOf(spec.when(create(1_000, AUTOMATIC, source)).then(created(1_000, AUTOMATIC, source)));

            assertThat(payment.status()).isEqualTo(PaymentStatus.PROCESSING);
            assertThat(payment.amountCapturedMinor()).isZero();
            assertThat(payment.amountRefundedMinor()).isZero();
            assertThat(payment.failureCode()).isNull();
            assertThat(created(1_000, AUTOMATIC, source).postings()).isEmpty();
        }

        @Test
        void a_wallet_payment_holds_the_whole_amount_on_the_wallet_account() {
            List<PaymentEvent> events = spec.when(create(1_000, MANUAL, WALLET)).events();

            assertThat(events).containsExactly(created(1_000, MANUAL, WALLET));
            assertThat(events.getFirst().postings()).containsExactly(new Posting("acc_w", USD, 0, 1_000));
            assertThat(paymentOf(spec.given(created(1_000, MANUAL, WALLET)).state()).amountHeldMinor()).isEqualTo(1_000);
        }

        @ParameterizedTest
        @ValueSource(longs = {-1, 0, 1_000_000_000_001L, Long.MAX_VALUE})
        void an_amount_outside_one_to_ten_to_the_twelfth_is_invalid(long amountMinor) {
            spec.when(create(amountMinor, AUTOMATIC, CARD)).thenRejected(AMOUNT_INVALID);
        }

        @ParameterizedTest
        @ValueSource(longs = {1, 1_000_000_000_000L})
        void the_bounds_themselves_are_valid(long amountMinor) {
            spec.when(create(amountMinor, AUTOMATIC, CARD)).then(created(amountMinor, AUTOMATIC, CARD));
        }

        @Test
        void a_wallet_in_another_currency_is_a_currency_mismatch() {
            spec.when(create(1_000, AUTOMATIC, new Wallet(WALLET_ACCOUNT, EUR))).thenRejected(CURRENCY_MISMATCH);
        }

        @Test
        void a_second_create_on_the_stream_is_payment_exists() {
            spec.given(created(1_000, AUTOMATIC, CARD)).when(create(1_000, AUTOMATIC, CARD)).thenRejected(PAYMENT_EXISTS);
        }

        @Test
        void checks_the_amount_then_the_currency_then_the_stream() {
            PaymentSource euroWallet = new Wallet(WALLET_ACCOUNT, EUR);
            var given = spec.given(created(1_000, AUTOMATIC, CARD));

            given.when(create(0, AUTOMATIC, euroWallet)).thenRejected(AMOUNT_INVALID);
            given.when(create(1_000, AUTOMATIC, euroWallet)).thenRejected(CURRENCY_MISMATCH);
        }

        @Test
        void insufficient_funds_for_the_hold_is_the_stores_answer_not_a_decision() {
            // decide cannot see the wallet's live balance; the store's guard rejects the hold.
            spec.when(create(Money.AMOUNT_MAX_MINOR, MANUAL, WALLET)).then(created(Money.AMOUNT_MAX_MINOR, MANUAL, WALLET));
            assertThat(PaymentRejection.INSUFFICIENT_FUNDS.code()).isEqualTo("insufficient_funds");
            assertThat(PaymentRejection.INSUFFICIENT_FUNDS.retryable()).isTrue();
        }
    }

    @Nested
    class Authorizing {

        @Test
        void a_manual_payment_then_requires_capture() {
            Payment payment = paymentOf(spec.given(created(1_000, MANUAL, CARD)).when(authorize())
                    .then(requiresCapture(1_000)));

            assertThat(payment.status()).isEqualTo(PaymentStatus.REQUIRES_CAPTURE);
            assertThat(payment.amountCapturedMinor()).isZero();
        }

        @ParameterizedTest
        @MethodSource("dev.ledgerflow.core.payment.domain.PaymentDomainTest#externalSources")
        void an_automatic_payment_is_captured_in_full_at_once_from_card_clearing(PaymentSource source) {
            Payment payment = paymentOf(spec.given(created(1_000, AUTOMATIC, source)).when(authorize())
                    .then(capturedFromClearing(1_000, 0, T1)));

            assertThat(payment.status()).isEqualTo(PaymentStatus.SUCCEEDED);
            assertThat(payment.amountCapturedMinor()).isEqualTo(1_000);
            assertThat(payment.amountRefundableMinor()).isEqualTo(1_000);
        }

        @Test
        void an_automatic_wallet_payment_is_captured_from_the_wallet_releasing_its_hold() {
            spec.given(created(1_000, AUTOMATIC, WALLET)).when(authorize()).then(new PaymentSucceeded(PAY, usd(1_000),
                    usd(0), T1, List.of(new Posting("acc_w", USD, -1_000, -1_000),
                            new Posting("set_mer_1_USD", USD, 1_000, 0))));
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"REQUIRES_CAPTURE", "SUCCEEDED"})
        void a_repeated_approval_is_already_done(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(authorize()).thenAlreadyDone();
        }

        @Test
        void a_repeated_approval_of_an_automatic_payment_is_already_done() {
            spec.given(created(1_000, AUTOMATIC, CARD), capturedFromClearing(1_000, 0, T1)).when(authorize())
                    .thenAlreadyDone();
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"FAILED", "CANCELED"})
        void an_approval_after_the_payment_ended_otherwise_is_an_invalid_state(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(authorize()).thenRejected(INVALID_STATE);
        }

        @Test
        void an_approval_without_a_payment_is_not_found() {
            spec.when(authorize()).thenRejected(PAYMENT_NOT_FOUND);
        }
    }

    @Nested
    class Failing {

        @ParameterizedTest
        @EnumSource(FailureCode.class)
        void a_processing_payment_fails_with_the_processors_code(FailureCode code) {
            Payment payment = paymentOf(spec.given(created(1_000, AUTOMATIC, CARD)).when(fail(code))
                    .then(new PaymentFailed(PAY, code, T1, List.of())));

            assertThat(payment.status()).isEqualTo(PaymentStatus.FAILED);
            assertThat(payment.failureCode()).isEqualTo(code);
        }

        @Test
        void a_failed_wallet_payment_releases_its_hold() {
            Payment payment = paymentOf(spec.given(created(1_000, AUTOMATIC, WALLET)).when(fail(FailureCode.TIMEOUT))
                    .then(new PaymentFailed(PAY, FailureCode.TIMEOUT, T1, List.of(new Posting("acc_w", USD, 0, -1_000)))));

            assertThat(payment.amountHeldMinor()).isZero();
        }

        @Test
        void a_repeated_failure_is_already_done_even_with_another_code() {
            var given = spec.given(historyOf(PaymentStatus.FAILED, CARD));

            given.when(fail(FailureCode.CARD_DECLINED)).thenAlreadyDone();
            given.when(fail(FailureCode.TIMEOUT)).thenAlreadyDone();
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"REQUIRES_CAPTURE", "SUCCEEDED", "CANCELED"})
        void a_failure_after_processing_is_an_invalid_state(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(fail(FailureCode.TIMEOUT)).thenRejected(INVALID_STATE);
        }

        @Test
        void a_failure_without_a_payment_is_not_found() {
            spec.when(fail(FailureCode.TIMEOUT)).thenRejected(PAYMENT_NOT_FOUND);
        }
    }

    @Nested
    class Capturing {

        @Test
        void captures_the_whole_authorized_amount_by_default() {
            Payment payment = paymentOf(spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, CARD)).when(capture())
                    .then(capturedFromClearing(1_000, 0, T2)));

            assertThat(payment.status()).isEqualTo(PaymentStatus.SUCCEEDED);
            assertThat(payment.amountCapturedMinor()).isEqualTo(1_000);
        }

        @Test
        void a_partial_capture_takes_the_amount_and_releases_the_rest() {
            Payment payment = paymentOf(spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, UPI)).when(capture(600))
                    .then(capturedFromClearing(600, 400, T2)));

            assertThat(payment.amountCapturedMinor()).isEqualTo(600);
            assertThat(payment.amountRefundableMinor()).isEqualTo(600);
        }

        @Test
        void a_partial_wallet_capture_debits_the_captured_amount_and_releases_the_whole_hold() {
            spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, WALLET)).when(capture(600)).then(
                    new PaymentSucceeded(PAY, usd(600), usd(400), T2, List.of(
                            new Posting("acc_w", USD, -600, -1_000), new Posting("set_mer_1_USD", USD, 600, 0))));
        }

        @Test
        void capturing_exactly_the_authorized_amount_is_allowed_and_one_more_is_not() {
            var given = spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, CARD));

            given.when(capture(1_000)).then(capturedFromClearing(1_000, 0, T2));
            given.when(capture(1_001)).thenRejected(CAPTURE_EXCEEDS_AUTHORIZED);
        }

        @ParameterizedTest
        @ValueSource(longs = {-5, 0, 1_000_000_000_001L})
        void an_amount_outside_one_to_ten_to_the_twelfth_is_invalid(long amountMinor) {
            spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, CARD)).when(capture(amountMinor))
                    .thenRejected(AMOUNT_INVALID);
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"PROCESSING", "SUCCEEDED", "FAILED", "CANCELED"})
        void only_a_payment_that_requires_capture_can_be_captured(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(capture()).thenRejected(INVALID_STATE);
        }

        @Test
        void an_automatic_payment_is_never_captured_by_hand() {
            spec.given(created(1_000, AUTOMATIC, CARD)).when(capture()).thenRejected(INVALID_STATE);
            spec.given(created(1_000, AUTOMATIC, CARD), capturedFromClearing(1_000, 0, T1)).when(capture())
                    .thenRejected(INVALID_STATE);
        }

        @Test
        void checks_the_amount_then_the_stream_then_the_state_then_the_authorization() {
            spec.when(capture(0)).thenRejected(AMOUNT_INVALID);
            spec.when(capture(5)).thenRejected(PAYMENT_NOT_FOUND);
            spec.given(historyOf(PaymentStatus.FAILED, CARD)).when(capture(0)).thenRejected(AMOUNT_INVALID);
            spec.given(historyOf(PaymentStatus.FAILED, CARD)).when(capture(5_000)).thenRejected(INVALID_STATE);
        }
    }

    @Nested
    class Canceling {

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"PROCESSING", "REQUIRES_CAPTURE"})
        void a_payment_not_yet_captured_can_be_canceled(PaymentStatus status) {
            Payment payment = paymentOf(spec.given(historyOf(status, CARD)).when(cancel())
                    .then(new PaymentCanceled(PAY, T2, List.of())));

            assertThat(payment.status()).isEqualTo(PaymentStatus.CANCELED);
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"PROCESSING", "REQUIRES_CAPTURE"})
        void canceling_a_wallet_payment_releases_its_hold(PaymentStatus status) {
            spec.given(historyOf(status, WALLET)).when(cancel())
                    .then(new PaymentCanceled(PAY, T2, List.of(new Posting("acc_w", USD, 0, -1_000))));
        }

        @Test
        void a_second_cancel_is_already_done() {
            spec.given(historyOf(PaymentStatus.CANCELED, WALLET)).when(cancel()).thenAlreadyDone();
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"SUCCEEDED", "FAILED"})
        void a_captured_or_failed_payment_cannot_be_canceled(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(cancel()).thenRejected(INVALID_STATE);
        }

        @Test
        void a_cancel_without_a_payment_is_not_found() {
            spec.when(cancel()).thenRejected(PAYMENT_NOT_FOUND);
        }
    }

    @Nested
    class Refunding {

        final DeciderSpec<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> capturedSix =
                spec.given(historyOf(PaymentStatus.REQUIRES_CAPTURE, CARD)).given(capturedFromClearing(600, 400, T2));

        @Test
        void a_refund_is_requested_first_and_holds_its_amount_on_settlement_until_the_acquirer_answers() {
            Payment payment = paymentOf(capturedSix.when(refund("re_1", 200)).then(refundCreated("re_1", 200)));

            assertThat(refundCreated("re_1", 200).postings()).containsExactly(new Posting(SETTLEMENT, USD, 0, 200));
            assertThat(payment.refund("re_1")).get().extracting(Refund::status).isEqualTo(RefundStatus.PENDING);
            assertThat(payment.amountRefundableMinor()).isEqualTo(400);
            assertThat(payment.amountRefundedMinor()).isZero();
            assertThat(payment.status()).isEqualTo(PaymentStatus.SUCCEEDED);
        }

        @Test
        void without_an_amount_refunds_all_that_is_still_refundable() {
            capturedSix.when(refund("re_1")).then(refundCreated("re_1", 600));
            capturedSix.given(refundCreated("re_1", 250)).when(refund("re_2")).then(refundCreated("re_2", 350));
        }

        @Test
        void after_a_partial_capture_refunds_repeat_until_the_captured_amount_is_used_up_and_never_more() {
            var afterThree = capturedSix.given(refundCreated("re_1", 100), refundSucceeded("re_1", 100),
                    refundCreated("re_2", 200), refundCreated("re_3", 250));

            afterThree.when(refund("re_4", 51)).thenRejected(REFUND_EXCEEDS_CAPTURED);
            Payment usedUp = paymentOf(afterThree.when(refund("re_4", 50)).then(refundCreated("re_4", 50)));
            assertThat(usedUp.amountRefundableMinor()).isZero();

            var exhausted = afterThree.given(refundCreated("re_4", 50));
            exhausted.when(refund("re_5", 1)).thenRejected(REFUND_EXCEEDS_CAPTURED);
            exhausted.when(refund("re_5")).thenRejected(REFUND_EXCEEDS_CAPTURED);
        }

        @Test
        void a_refund_beyond_the_captured_amount_is_rejected_even_though_the_authorization_was_larger() {
            capturedSix.when(refund("re_1", 601)).thenRejected(REFUND_EXCEEDS_CAPTURED);
        }

        @Test
        void a_failed_refund_frees_its_amount() {
            var reservedAll = capturedSix.given(refundCreated("re_1", 600));
            reservedAll.when(refund("re_2", 1)).thenRejected(REFUND_EXCEEDS_CAPTURED);

            var failed = reservedAll.given(refundFailed("re_1", 600));
            assertThat(paymentOf(failed.state()).amountRefundableMinor()).isEqualTo(600);
            failed.when(refund("re_2")).then(refundCreated("re_2", 600));
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"PROCESSING", "REQUIRES_CAPTURE", "FAILED", "CANCELED"})
        void only_a_succeeded_payment_can_be_refunded(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(refund("re_1", 100)).thenRejected(INVALID_STATE);
        }

        @Test
        void a_refund_id_is_never_reused() {
            capturedSix.given(refundCreated("re_1", 100), refundFailed("re_1", 100)).when(refund("re_1", 100))
                    .thenRejected(REFUND_EXISTS);
        }

        @ParameterizedTest
        @ValueSource(longs = {-1, 0, 1_000_000_000_001L})
        void an_amount_outside_one_to_ten_to_the_twelfth_is_invalid(long amountMinor) {
            capturedSix.when(refund("re_1", amountMinor)).thenRejected(AMOUNT_INVALID);
        }

        @Test
        void checks_the_amount_then_the_stream_then_the_refund_id_then_the_state_then_the_captured_amount() {
            spec.when(refund("re_1", 0)).thenRejected(AMOUNT_INVALID);
            spec.when(refund("re_1", 10)).thenRejected(PAYMENT_NOT_FOUND);
            capturedSix.given(refundCreated("re_1", 600)).when(refund("re_1", 10)).thenRejected(REFUND_EXISTS);
            spec.given(historyOf(PaymentStatus.PROCESSING, CARD)).when(refund("re_1", 5_000))
                    .thenRejected(INVALID_STATE);
        }
    }

    @Nested
    class Completing_refunds {

        final DeciderSpec<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> requested =
                spec.given(historyOf(PaymentStatus.SUCCEEDED, CARD)).given(refundCreated("re_1", 300));

        @Test
        void a_succeeded_card_refund_moves_money_from_settlement_back_to_card_clearing() {
            Payment payment = paymentOf(requested.when(completeRefund("re_1")).then(new RefundSucceeded(PAY, "re_1",
                    usd(300), T2, List.of(new Posting("set_mer_1_USD", USD, -300, -300),
                            new Posting("sys_card_clearing_USD", USD, 300, 0)))));

            assertThat(payment.amountRefundedMinor()).isEqualTo(300);
            assertThat(payment.amountRefundableMinor()).isEqualTo(700);
            assertThat(payment.refund("re_1")).get().extracting(Refund::status).isEqualTo(RefundStatus.SUCCEEDED);
        }

        @Test
        void a_succeeded_wallet_refund_moves_money_back_to_the_wallet() {
            spec.given(historyOf(PaymentStatus.SUCCEEDED, WALLET)).given(refundCreated("re_1", 300))
                    .when(completeRefund("re_1"))
                    .then(new RefundSucceeded(PAY, "re_1", usd(300), T2, List.of(
                            new Posting("set_mer_1_USD", USD, -300, -300), new Posting("acc_w", USD, 300, 0))));
        }

        @Test
        void a_failed_refund_moves_nothing_releases_its_hold_and_keeps_its_code() {
            Payment payment = paymentOf(requested.when(failRefund("re_1")).then(refundFailed("re_1", 300)));

            assertThat(refundFailed("re_1", 300).postings()).containsExactly(new Posting(SETTLEMENT, USD, 0, -300));
            assertThat(payment.refund("re_1")).get().extracting(Refund::failureCode)
                    .isEqualTo(FailureCode.EXPIRED_OR_CANCELED_CARD);
            assertThat(payment.amountRefundedMinor()).isZero();
            assertThat(payment.amountRefundableMinor()).isEqualTo(1_000);
        }

        @Test
        void a_refund_recorded_before_refunds_held_releases_no_hold_whatever_its_outcome() {
            var legacy = spec.given(historyOf(PaymentStatus.SUCCEEDED, CARD)).given(refundCreatedWithoutHold("re_1", 300));

            assertThat(refundCreatedWithoutHold("re_1", 300).postings()).isEmpty();
            legacy.when(completeRefund("re_1")).then(new RefundSucceeded(PAY, "re_1", usd(300), T2, List.of(
                    new Posting(SETTLEMENT, USD, -300, 0), new Posting(CLEARING, USD, 300, 0))));
            legacy.when(failRefund("re_1")).then(new RefundFailed(PAY, "re_1", usd(300),
                    FailureCode.EXPIRED_OR_CANCELED_CARD, T2, List.of()));
        }

        @Test
        void repeated_outcomes_are_already_done() {
            requested.given(refundSucceeded("re_1", 300)).when(completeRefund("re_1")).thenAlreadyDone();
            requested.given(refundFailed("re_1", 300)).when(failRefund("re_1")).thenAlreadyDone();
        }

        @Test
        void a_contradicting_outcome_is_an_invalid_state() {
            requested.given(refundSucceeded("re_1", 300)).when(failRefund("re_1")).thenRejected(INVALID_STATE);
            requested.given(refundFailed("re_1", 300)).when(completeRefund("re_1")).thenRejected(INVALID_STATE);
        }

        @Test
        void an_unknown_refund_or_payment_is_not_found() {
            requested.when(completeRefund("re_2")).thenRejected(REFUND_NOT_FOUND);
            requested.when(failRefund("re_2")).thenRejected(REFUND_NOT_FOUND);
            spec.when(completeRefund("re_1")).thenRejected(PAYMENT_NOT_FOUND);
            spec.when(failRefund("re_1")).thenRejected(PAYMENT_NOT_FOUND);
        }
    }

    @Nested
    class Disputes {

        final DeciderSpec<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> captured =
                spec.given(historyOf(PaymentStatus.SUCCEEDED, CARD));
        final DeciderSpec<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> open =
                captured.given(disputed(1_000));

        @Test
        void a_dispute_holds_the_captured_amount_on_settlement_and_nothing_is_refundable_meanwhile() {
            Payment payment = paymentOf(captured.when(dispute()).then(disputed(1_000)));

            assertThat(payment.dispute()).isEqualTo(new Dispute(usd(1_000), DisputeStatus.OPEN, T2));
            assertThat(payment.status()).isEqualTo(PaymentStatus.SUCCEEDED);
            assertThat(payment.amountRefundableMinor()).isZero();
            open.when(refund("re_1", 1)).thenRejected(INVALID_STATE);
        }

        @Test
        void a_dispute_holds_only_what_is_neither_refunded_nor_reserved_by_a_pending_refund() {
            captured.given(refundCreated("re_1", 100), refundSucceeded("re_1", 100), refundCreated("re_2", 200))
                    .when(dispute()).then(disputed(700));
        }

        @Test
        void won_the_hold_is_released_and_the_amount_is_refundable_again() {
            Payment payment = paymentOf(open.when(resolve(DisputeStatus.WON)).then(disputeWon(1_000)));

            assertThat(payment.dispute().status()).isEqualTo(DisputeStatus.WON);
            assertThat(payment.amountRefundableMinor()).isEqualTo(1_000);
        }

        @Test
        void lost_the_amount_leaves_settlement_for_card_clearing_and_can_never_be_refunded() {
            Payment payment = paymentOf(open.when(resolve(DisputeStatus.LOST)).then(disputeLost(1_000)));

            assertThat(payment.dispute().status()).isEqualTo(DisputeStatus.LOST);
            assertThat(payment.amountRefundableMinor()).isZero();
            open.given(disputeLost(1_000)).when(refund("re_1")).thenRejected(REFUND_EXCEEDS_CAPTURED);
        }

        @Test
        void repeats_are_already_done_and_a_contradicting_outcome_is_an_invalid_state() {
            open.when(dispute()).thenAlreadyDone();
            open.given(disputeWon(1_000)).when(resolve(DisputeStatus.WON)).thenAlreadyDone();
            open.given(disputeWon(1_000)).when(dispute()).thenAlreadyDone();
            open.given(disputeLost(1_000)).when(resolve(DisputeStatus.WON)).thenRejected(INVALID_STATE);
        }

        @ParameterizedTest
        @EnumSource(value = PaymentStatus.class, names = {"PROCESSING", "REQUIRES_CAPTURE", "FAILED", "CANCELED"})
        void only_a_captured_payment_can_be_disputed(PaymentStatus status) {
            spec.given(historyOf(status, CARD)).when(dispute()).thenRejected(INVALID_STATE);
        }

        @Test
        void a_payment_refunded_in_full_has_nothing_to_dispute_and_one_without_a_dispute_nothing_to_resolve() {
            captured.given(refundCreated("re_1", 1_000)).when(dispute()).thenRejected(INVALID_STATE);
            captured.when(resolve(DisputeStatus.LOST)).thenRejected(INVALID_STATE);
            spec.when(dispute()).thenRejected(PAYMENT_NOT_FOUND);
            spec.when(resolve(DisputeStatus.WON)).thenRejected(PAYMENT_NOT_FOUND);
        }

        @Test
        void a_resolution_is_won_or_lost_never_open() {
            assertThatThrownBy(() -> resolve(DisputeStatus.OPEN)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Events {

        @Test
        void carry_their_public_type_names() {
            List<PaymentEvent> lifecycle = List.of(created(1_000, MANUAL, CARD), requiresCapture(1_000),
                    capturedFromClearing(1_000, 0, T2), new PaymentFailed(PAY, FailureCode.TIMEOUT, T1, List.of()),
                    new PaymentCanceled(PAY, T1, List.of()), refundCreated("re_1", 10), refundSucceeded("re_1", 10),
                    refundFailed("re_1", 10), disputed(10), disputeWon(10), disputeLost(10));

            assertThat(lifecycle).extracting(PaymentEvent::type).containsExactly("payment.created",
                    "payment.requires_capture", "payment.succeeded", "payment.failed", "payment.canceled",
                    "refund.created", "refund.succeeded", "refund.failed", "payment.disputed", "payment.dispute_won",
                    "payment.dispute_lost");
        }

        @Test
        void that_do_not_balance_cannot_be_built() {
            assertThatThrownBy(() -> new PaymentSucceeded(PAY, usd(10), usd(0), T1,
                            List.of(new Posting(SETTLEMENT, USD, 10, 0))))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class A_corrupt_stream {

        static Stream<Arguments> impossibleHistories() {
            return Stream.of(
                    Arguments.of("an event before creation", new PaymentEvent[] {requiresCapture(1_000)}),
                    Arguments.of("a second creation",
                            new PaymentEvent[] {created(1_000, MANUAL, CARD), created(1_000, MANUAL, CARD)}),
                    Arguments.of("a capture of a processing manual payment",
                            new PaymentEvent[] {created(1_000, MANUAL, CARD), capturedFromClearing(1_000, 0, T1)}),
                    Arguments.of("an authorization of an automatic payment",
                            new PaymentEvent[] {created(1_000, AUTOMATIC, CARD), requiresCapture(1_000)}),
                    Arguments.of("a capture beyond the authorization", new PaymentEvent[] {
                        created(1_000, MANUAL, CARD), requiresCapture(1_000), capturedFromClearing(1_001, 0, T2)
                    }),
                    Arguments.of("a refund beyond the captured amount", new PaymentEvent[] {
                        created(1_000, AUTOMATIC, CARD), capturedFromClearing(1_000, 0, T1), refundCreated("re_1", 1_001)
                    }),
                    Arguments.of("an outcome of an unknown refund", new PaymentEvent[] {
                        created(1_000, AUTOMATIC, CARD), capturedFromClearing(1_000, 0, T1), refundSucceeded("re_1", 5)
                    }),
                    Arguments.of("a failure after cancel", new PaymentEvent[] {
                        created(1_000, AUTOMATIC, CARD), new PaymentCanceled(PAY, T1, List.of()),
                        new PaymentFailed(PAY, FailureCode.TIMEOUT, T1, List.of())
                    }));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("impossibleHistories")
        void throws_rather_than_guessing(String what, PaymentEvent[] history) {
            assertThatThrownBy(() -> spec.given(history).state()).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Rejections {

        @ParameterizedTest(name = "{0} → {1}")
        @CsvSource({
            "AMOUNT_INVALID, amount_invalid",
            "CURRENCY_MISMATCH, currency_mismatch",
            "INVALID_STATE, invalid_state",
            "CAPTURE_EXCEEDS_AUTHORIZED, capture_exceeds_authorized",
            "REFUND_EXCEEDS_CAPTURED, refund_exceeds_captured",
            "INSUFFICIENT_FUNDS, insufficient_funds"
        })
        void use_the_public_error_codes(PaymentRejection rejection, String code) {
            assertThat(rejection.code()).isEqualTo(code);
        }

        @Test
        void only_insufficient_funds_can_pass_by_retrying_later() {
            assertThat(List.of(PaymentRejection.values())).filteredOn(PaymentRejection::retryable)
                    .containsExactly(PaymentRejection.INSUFFICIENT_FUNDS);
        }
    }

    static Stream<PaymentSource> externalSources() {
        return Stream.of(CARD, UPI);
    }
}
