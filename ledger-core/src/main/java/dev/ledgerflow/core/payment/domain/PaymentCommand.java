package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What can be asked of a payment stream ({@code pay_…}): by the merchant (create, capture, cancel,
 * refund) or by the payment processor (the acquirer's outcomes).
 */
public sealed interface PaymentCommand {

    String paymentId();

    Instant at();

    /**
     * Create a payment. Card number and CVC never get here: the shell has checked the number
     * ({@link CardNumbers}) and passes brand, last four and fingerprint.
     *
     * @param description free text, or null
     */
    record CreatePayment(
            String paymentId,
            String merchantId,
            Money amount,
            CaptureMethod captureMethod,
            PaymentSource source,
            String description,
            Map<String, String> metadata,
            Instant at)
            implements PaymentCommand {
        public CreatePayment {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(merchantId, "mer_");
            Objects.requireNonNull(amount, "amount");
            Objects.requireNonNull(captureMethod, "captureMethod");
            Objects.requireNonNull(source, "source");
            metadata = Map.copyOf(metadata);
            Objects.requireNonNull(at, "at");
        }
    }

    /** The acquirer approved (a wallet payment needs no acquirer: the processor approves it). */
    record AuthorizePayment(String paymentId, Instant at) implements PaymentCommand {
        public AuthorizePayment {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The acquirer declined, or the processor gave up after retries. */
    record FailPayment(String paymentId, FailureCode failureCode, Instant at) implements PaymentCommand {
        public FailPayment {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(failureCode, "failureCode");
            Objects.requireNonNull(at, "at");
        }
    }

    /** Capture an authorized manual payment; no amount means the whole authorized amount. */
    record CapturePayment(String paymentId, OptionalLong amountMinor, Instant at) implements PaymentCommand {
        public CapturePayment {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(amountMinor, "amountMinor");
            Objects.requireNonNull(at, "at");
        }
    }

    /** Cancel a payment that has not been captured. */
    record CancelPayment(String paymentId, Instant at) implements PaymentCommand {
        public CancelPayment {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * Request a refund of a succeeded payment; no amount means all that is still refundable.
     *
     * @param reason free text, or null
     */
    record CreateRefund(String paymentId, String refundId, OptionalLong amountMinor, String reason, Instant at)
            implements PaymentCommand {
        public CreateRefund {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            Objects.requireNonNull(amountMinor, "amountMinor");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The processor returned a refund's money to the source. */
    record CompleteRefund(String paymentId, String refundId, Instant at) implements PaymentCommand {
        public CompleteRefund {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The processor could not return a refund's money. */
    record FailRefund(String paymentId, String refundId, FailureCode failureCode, Instant at)
            implements PaymentCommand {
        public FailRefund {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            Objects.requireNonNull(failureCode, "failureCode");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The acquirer reports that the customer disputed a captured payment (a chargeback). */
    record DisputePayment(String paymentId, Instant at) implements PaymentCommand {
        public DisputePayment {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The acquirer reports how the payment's dispute was decided: {@code WON} or {@code LOST}. */
    record ResolveDispute(String paymentId, DisputeStatus outcome, Instant at) implements PaymentCommand {
        public ResolveDispute {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(outcome, "outcome");
            if (outcome == DisputeStatus.OPEN) {
                throw new IllegalArgumentException("a dispute is resolved as won or lost");
            }
            Objects.requireNonNull(at, "at");
        }
    }
}
