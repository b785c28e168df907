package dev.ledgerflow.core.payment;

import dev.ledgerflow.core.codec.EventCodec;
import dev.ledgerflow.core.command.Aggregate;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentDecider;
import dev.ledgerflow.core.payment.domain.PaymentEvent;
import dev.ledgerflow.core.payment.domain.PaymentRejection;
import dev.ledgerflow.core.payment.domain.PaymentState;
import java.util.Map;

/** Payments ({@code pay_…} streams), each with its refunds. */
public final class PaymentAggregate
        implements Aggregate<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> {

    public static final PaymentAggregate INSTANCE = new PaymentAggregate();

    private static final PaymentDecider DECIDER = new PaymentDecider();
    private static final EventCodec<PaymentEvent> CODEC = new EventCodec<>(
            Map.ofEntries(
                    Map.entry(PaymentEvent.PaymentCreated.TYPE, PaymentEvent.PaymentCreated.class),
                    Map.entry(PaymentEvent.PaymentRequiresCapture.TYPE, PaymentEvent.PaymentRequiresCapture.class),
                    Map.entry(PaymentEvent.PaymentSucceeded.TYPE, PaymentEvent.PaymentSucceeded.class),
                    Map.entry(PaymentEvent.PaymentFailed.TYPE, PaymentEvent.PaymentFailed.class),
                    Map.entry(PaymentEvent.PaymentCanceled.TYPE, PaymentEvent.PaymentCanceled.class),
                    Map.entry(PaymentEvent.RefundCreated.TYPE, PaymentEvent.RefundCreated.class),
                    Map.entry(PaymentEvent.RefundSucceeded.TYPE, PaymentEvent.RefundSucceeded.class),
                    Map.entry(PaymentEvent.RefundFailed.TYPE, PaymentEvent.RefundFailed.class),
                    Map.entry(PaymentEvent.PaymentDisputed.TYPE, PaymentEvent.PaymentDisputed.class),
                    Map.entry(PaymentEvent.PaymentDisputeWon.TYPE, PaymentEvent.PaymentDisputeWon.class),
                    Map.entry(PaymentEvent.PaymentDisputeLost.TYPE, PaymentEvent.PaymentDisputeLost.class)),
            PaymentEvent::type);

    private PaymentAggregate() {}

    @Override
    public Decider<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> decider() {
        return DECIDER;
    }

    @Override
    public EventCodec<PaymentEvent> codec() {
        return CODEC;
    }

    /** Payment events (disputes included) show the payment; refund events show the refund. */
    @Override
    public Object publicObject(PaymentState stateAfter, PaymentEvent event) {
        PaymentState.Payment payment = (PaymentState.Payment) stateAfter;
        return switch (event) {
            case PaymentEvent.RefundCreated e -> PaymentViews.refund(payment, e.refundId());
            case PaymentEvent.RefundSucceeded e -> PaymentViews.refund(payment, e.refundId());
            case PaymentEvent.RefundFailed e -> PaymentViews.refund(payment, e.refundId());
            case PaymentEvent.PaymentCreated e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentRequiresCapture e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentSucceeded e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentFailed e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentCanceled e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentDisputed e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentDisputeWon e -> PaymentViews.payment(payment);
            case PaymentEvent.PaymentDisputeLost e -> PaymentViews.payment(payment);
        };
    }
}
