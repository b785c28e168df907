package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import java.util.Objects;

/**
 * One refund to ask of the acquirer.
 *
 * @param refundId also the acquirer's idempotency key: a retried request never refunds twice
 * @param instrument the payment's card token or UPI handle
 */
public record RefundRequest(String paymentId, String refundId, Money amount, Instrument instrument) {

    public RefundRequest {
        IdChecks.require(paymentId, "pay_");
        IdChecks.require(refundId, "re_");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(instrument, "instrument");
    }
}
