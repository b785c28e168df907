package dev.ledgerflow.core.payment.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.DisputeStatus;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.processor.AcquirerResponse.Approved;
import dev.ledgerflow.core.payment.processor.AcquirerResponse.Declined;
import dev.ledgerflow.core.payment.processor.AcquirerResponse.TransientError;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The simulated acquirer answers as API.md documents its test numbers and handles. */
class SimulatedAcquirerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final SimulatedAcquirer acquirer = new SimulatedAcquirer(Duration.ofMillis(1));

    @ParameterizedTest(name = "{0} answers {1}")
    @CsvSource({
        "4242424242424242, approved",
        "4000000000000002, card_declined",
        "4000000000009995, insufficient_funds",
        "5555555555554444, approved",
        "378282246310005,  approved",
    })
    void each_test_card_number_answers_its_documented_outcome(String number, String outcome) {
        assertThat(describe(acquirer.authorize(card(newPaymentId(), number)).block(WAIT))).isEqualTo(outcome);
    }

    @ParameterizedTest(name = "{0} answers {1}")
    @CsvSource({"success@upi, approved", "failure@upi, card_declined", "someone@okbank, approved"})
    void each_upi_handle_answers_its_documented_outcome(String vpa, String outcome) {
        AuthorizationRequest request = new AuthorizationRequest(newPaymentId(), Money.of(500, "INR"), new Instrument.UpiHandle(vpa));

        assertThat(describe(acquirer.authorize(request).block(WAIT))).isEqualTo(outcome);
    }

    @Test
    void a_token_names_the_scenario_and_never_holds_the_card_number() {
        assertThat(acquirer.tokenize("4000000000000002")).isEqualTo("tok_sim_card_declined");
        assertThat(acquirer.tokenize("4000000000000119")).isEqualTo("tok_sim_transient_twice");
        assertThat(acquirer.tokenize("4111111111111111")).isEqualTo("tok_sim_approve").doesNotContain("1111");
    }

    @Test
    void an_invalid_card_number_cannot_be_tokenized_and_is_not_echoed() {
        assertThatThrownBy(() -> acquirer.tokenize("4242424242424241"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("4242");
    }

    @Test
    void the_transient_card_fails_twice_per_payment_then_approves() {
        String first = newPaymentId();
        String second = newPaymentId();

        assertThat(acquirer.authorize(card(first, "4000000000000119")).block(WAIT)).isInstanceOf(TransientError.class);
        assertThat(acquirer.authorize(card(second, "4000000000000119")).block(WAIT)).isInstanceOf(TransientError.class);
        assertThat(acquirer.authorize(card(first, "4000000000000119")).block(WAIT)).isInstanceOf(TransientError.class);
        assertThat(acquirer.authorize(card(first, "4000000000000119")).block(WAIT)).isInstanceOf(Approved.class);
        assertThat(acquirer.authorize(card(second, "4000000000000119")).block(WAIT)).isInstanceOf(TransientError.class);
    }

    @Test
    void the_unanswering_card_never_answers() {
        StepVerifier.withVirtualTime(() -> acquirer.authorize(card(newPaymentId(), "4000000000000259")))
                .expectSubscription()
                .expectNoEvent(Duration.ofHours(1))
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void a_payment_asked_again_after_approval_answers_approved_and_is_charged_once() {
        String payment = newPaymentId();

        Flux.range(0, 20).flatMap(n -> acquirer.authorize(card(payment, "4242424242424242")))
                .doOnNext(response -> assertThat(response).isInstanceOf(Approved.class))
                .blockLast(WAIT);
        acquirer.authorize(card(payment, "4242424242424242")).block(WAIT);

        assertThat(acquirer.calls()).isEqualTo(21);
        assertThat(acquirer.charges()).isEqualTo(1);
    }

    @Test
    void a_declined_payment_asked_again_is_declined_again_and_never_charged() {
        String payment = newPaymentId();

        acquirer.authorize(card(payment, "4000000000000002")).block(WAIT);

        assertThat(acquirer.authorize(card(payment, "4000000000000002")).block(WAIT))
                .isEqualTo(new Declined(FailureCode.CARD_DECLINED));
        assertThat(acquirer.charges()).isZero();
    }

    @Test
    void the_refund_test_cards_approve_payments_and_then_decline_or_answer_refunds_late() {
        String declined = newPaymentId();
        String late = newPaymentId();
        assertThat(acquirer.authorize(card(declined, "4000000000005126")).block(WAIT)).isEqualTo(new AcquirerResponse.Approved());
        assertThat(acquirer.authorize(card(late, "4000000000007726")).block(WAIT)).isEqualTo(new AcquirerResponse.Approved());

        assertThat(acquirer.refund(refund(declined, "4000000000005126")).block(WAIT))
                .isEqualTo(new Declined(FailureCode.EXPIRED_OR_CANCELED_CARD));
        assertThat(acquirer.refund(refund(newPaymentId(), "4242424242424242")).block(WAIT))
                .isEqualTo(new AcquirerResponse.Approved());
        // The delay is 5 s of virtual time: nothing for 4,999 ms, the answer once the last millisecond passes.
        StepVerifier.withVirtualTime(() -> new SimulatedAcquirer(Duration.ofMillis(20), AcquirerLedger.inMemory(),
                                Duration.ofSeconds(5))
                        .refund(refund(late, "4000000000007726")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(4_999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext(new AcquirerResponse.Approved())
                .verifyComplete();
    }

    @Test
    void the_dispute_test_cards_approve_and_are_disputed_later_lost_or_won_and_other_cards_never() {
        assertThat(acquirer.authorize(card(newPaymentId(), "4000000000002685")).block(WAIT))
                .isEqualTo(new AcquirerResponse.Approved());
        assertThat(acquirer.plannedDispute(acquirer.tokenize("4000000000002685"))).contains(DisputeStatus.LOST);
        assertThat(acquirer.plannedDispute(acquirer.tokenize("4000000000001976"))).contains(DisputeStatus.WON);
        assertThat(acquirer.plannedDispute(acquirer.tokenize("4242424242424242"))).isEmpty();
        assertThat(acquirer.plannedDispute(acquirer.tokenize("4000000000005126"))).isEmpty();
    }

    private RefundRequest refund(String paymentId, String number) {
        return new RefundRequest(paymentId, "re_" + paymentId.substring(4), Money.of(500, "USD"),
                new Instrument.CardToken(acquirer.tokenize(number)));
    }

    private AuthorizationRequest card(String paymentId, String number) {
        return new AuthorizationRequest(paymentId, Money.of(1_000, "USD"), new Instrument.CardToken(acquirer.tokenize(number)));
    }

    private static String describe(AcquirerResponse response) {
        return switch (response) {
            case Approved approved -> "approved";
            case Declined declined -> declined.failureCode().name().toLowerCase(Locale.ROOT);
            case TransientError error -> "transient";
            case AcquirerResponse.Voided voided -> "voided";
        };
    }

    private static String newPaymentId() {
        return Ids.newId("pay", Instant.now());
    }
}
