package dev.ledgerflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.bench.ChaosLoad.Ack;
import dev.ledgerflow.bench.ChaosLoad.Kind;
import dev.ledgerflow.bench.ChaosLoad.Request;
import org.junit.jupiter.api.Test;

/** The chaos load counts a 2xx as acknowledged only when the answer is about what its request named. */
class ChaosAnswersTest {

    private static final Ack PAYMENT = new Ack(Kind.MANUAL_PAYMENT, "pay_01M955SAMJXDTX45NA6Z50GY9Z", "k1", 0);

    private static Request capture() {
        return new Request(Kind.CAPTURE, "/v1/payments/" + PAYMENT.id() + "/capture", "{}", "k2", PAYMENT);
    }

    @Test
    void a_capture_answered_with_its_payment_captured_is_acknowledged() {
        assertThat(ChaosLoad.mismatch(capture(), "{\"id\":\"pay_01M955SAMJXDTX45NA6Z50GY9Z\",\"status\":\"succeeded\"}")).isNull();
    }

    @Test
    void a_capture_answered_with_another_payment_or_uncaptured_is_not() {
        assertThat(ChaosLoad.mismatch(capture(), "{\"id\":\"pay_01M955SAMSG77GWN05FH5VWAH6\",\"status\":\"succeeded\"}"))
                .contains("pay_01M955SAMSG77GWN05FH5VWAH6");
        assertThat(ChaosLoad.mismatch(capture(), "{\"id\":\"pay_01M955SAMJXDTX45NA6Z50GY9Z\",\"status\":\"requires_capture\"}"))
                .contains("not captured");
        assertThat(ChaosLoad.mismatch(capture(), "{\"ok\":true}")).contains("no id");
    }

    @Test
    void a_refund_must_name_its_payment_and_a_creation_its_kind() {
        Request refund = new Request(Kind.REFUND, "/v1/payments/" + PAYMENT.id() + "/refunds", "{\"amount\":10}", "k3", PAYMENT);
        assertThat(ChaosLoad.mismatch(refund, "{\"id\":\"re_01M955V5V15STD7PYC8TPBSTKZ\",\"payment\":\"" + PAYMENT.id() + "\"}"))
                .isNull();
        assertThat(ChaosLoad.mismatch(refund, "{\"id\":\"re_01M955V5V15STD7PYC8TPBSTKZ\",\"payment\":\"pay_OTHER\"}")).isNotNull();
        Request transfer = new Request(Kind.TRANSFER, "/v1/transfers", "{}", "k4", null);
        assertThat(ChaosLoad.mismatch(transfer, "{\"id\":\"tr_01M955V5TN782CYABS64R3YFNE\"}")).isNull();
        assertThat(ChaosLoad.mismatch(transfer, "{\"id\":\"pay_01M955V5TN782CYABS64R3YFNE\"}")).isEqualTo("not a transfer");
    }
}
