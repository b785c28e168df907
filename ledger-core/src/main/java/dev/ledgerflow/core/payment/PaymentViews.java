package dev.ledgerflow.core.payment;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.domain.Refund;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** Payments and refunds as the API, webhooks and the event feed show them. */
public final class PaymentViews {

    private PaymentViews() {}

    /** A payment. The card number is never here: brand, last four and a keyed fingerprint only. */
    public record PaymentView(
            String id,
            String status,
            long amount,
            String currency,
            long amountCaptured,
            long amountRefunded,
            String captureMethod,
            SourceView source,
            String description,
            Map<String, String> metadata,
            String failureCode,
            Instant createdAt,
            @JsonInclude(JsonInclude.Include.NON_NULL) DisputeView dispute) {}

    /** A payment's chargeback: {@code open}, then {@code won} or {@code lost}. */
    public record DisputeView(long amount, String currency, String status, Instant createdAt) {}

    /** Where the money comes from: {@code card}, {@code upi} or {@code account}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SourceView(
            String type, String brand, String last4, String fingerprint, Integer expMonth, Integer expYear, String vpa,
            String account) {}

    public record RefundView(
            String id, String payment, long amount, String currency, String status, String reason, String failureCode,
            Instant createdAt) {}

    public static PaymentView payment(PaymentState.Payment payment) {
        return new PaymentView(
                payment.paymentId(),
                lower(payment.status()),
                payment.amount().amountMinor(),
                payment.amount().currency().code(),
                payment.amountCapturedMinor(),
                payment.amountRefundedMinor(),
                lower(payment.captureMethod()),
                source(payment.source()),
                payment.description(),
                payment.metadata(),
                payment.failureCode() == null ? null : lower(payment.failureCode()),
                payment.createdAt(),
                payment.dispute() == null ? null : new DisputeView(payment.dispute().amount().amountMinor(),
                        payment.dispute().amount().currency().code(), lower(payment.dispute().status()),
                        payment.dispute().createdAt()));
    }

    public static RefundView refund(PaymentState.Payment payment, String refundId) {
        Refund refund = payment.refund(refundId).orElseThrow(() -> new IllegalStateException("no refund " + refundId));
        return refund(payment, refund);
    }

    public static RefundView refund(PaymentState.Payment payment, Refund refund) {
        return new RefundView(refund.refundId(), payment.paymentId(), refund.amount().amountMinor(),
                refund.amount().currency().code(), lower(refund.status()), refund.reason(),
                refund.failureCode() == null ? null : lower(refund.failureCode()), refund.createdAt());
    }

    public static SourceView source(PaymentSource source) {
        return switch (source) {
            case PaymentSource.Card card -> new SourceView("card", lower(card.brand()), card.last4(), card.fingerprint(),
                    card.expMonth(), card.expYear(), null, null);
            case PaymentSource.Upi upi -> new SourceView("upi", null, null, null, null, null, upi.vpa(), null);
            case PaymentSource.Wallet wallet -> new SourceView("account", null, null, null, null, null, null,
                    wallet.accountId());
        };
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
