package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.FailureCode;
import java.util.Objects;

/** What the acquirer answered to one authorization or refund attempt. */
public sealed interface AcquirerResponse {

    /** The payment is authorized: the money is reserved for the merchant. */
    record Approved() implements AcquirerResponse {}

    /**
     * A final no from the issuer: {@code CARD_DECLINED} or {@code INSUFFICIENT_FUNDS} to a payment,
     * {@code EXPIRED_OR_CANCELED_CARD} to a refund. Not retried.
     */
    record Declined(FailureCode failureCode) implements AcquirerResponse {
        public Declined {
            Objects.requireNonNull(failureCode, "failureCode");
            if (failureCode != FailureCode.CARD_DECLINED && failureCode != FailureCode.INSUFFICIENT_FUNDS
                    && failureCode != FailureCode.EXPIRED_OR_CANCELED_CARD) {
                throw new IllegalArgumentException("an issuer declines with card_declined, insufficient_funds or"
                        + " expired_or_canceled_card, not " + failureCode);
            }
        }
    }

    /**
     * The caller gave this request up ({@link Acquirer#voidAuthorization}) before or after an answer:
     * nothing is reserved, and a late or repeated request answers this too.
     */
    record Voided() implements AcquirerResponse {}

    /** The acquirer could not decide now; the same request may succeed later. */
    record TransientError(String reason) implements AcquirerResponse {
        public TransientError {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
