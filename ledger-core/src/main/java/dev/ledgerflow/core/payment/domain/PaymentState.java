package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.PaymentSource.Wallet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A payment and its refunds as the payment's stream tells them. */
public sealed interface PaymentState {

    /** No payment on this stream yet. */
    record NoPayment() implements PaymentState {}

    /**
     * A payment: everything needed to decide the next command and to render the payment object.
     *
     * @param amount the amount asked for, which is also the amount authorized
     * @param description free text, or null
     * @param failureCode why it failed; null unless {@link PaymentStatus#FAILED}
     * @param refunds in the order they were created
     * @param dispute its chargeback, or null
     */
    record Payment(
            String paymentId,
            String merchantId,
            Money amount,
            CaptureMethod captureMethod,
            PaymentSource source,
            String description,
            Map<String, String> metadata,
            Instant createdAt,
            PaymentStatus status,
            long amountCapturedMinor,
            FailureCode failureCode,
            List<Refund> refunds,
            Dispute dispute)
            implements PaymentState {

        public Payment {
            Objects.requireNonNull(status, "status");
            refunds = List.copyOf(refunds);
        }

        /** What succeeded refunds returned. */
        public long amountRefundedMinor() {
            return sumOfRefunds(RefundStatus.SUCCEEDED);
        }

        /** What refunds hold against the captured amount: succeeded and still pending ones. */
        public long amountRefundReservedMinor() {
            return Math.addExact(sumOfRefunds(RefundStatus.SUCCEEDED), sumOfRefunds(RefundStatus.PENDING));
        }

        /** What may still be refunded: neither refunded, nor reserved by a pending refund, nor disputed (unless won). */
        public long amountRefundableMinor() {
            long disputedMinor = dispute == null ? 0 : dispute.amountReservedMinor();
            return amountCapturedMinor - amountRefundReservedMinor() - disputedMinor;
        }

        /** The wallet hold still in place: the whole amount while a wallet payment awaits capture, else 0. */
        public long amountHeldMinor() {
            boolean awaiting = status == PaymentStatus.PROCESSING || status == PaymentStatus.REQUIRES_CAPTURE;
            return source instanceof Wallet && awaiting ? amount.amountMinor() : 0;
        }

        public Optional<Refund> refund(String refundId) {
            return refunds.stream().filter(r -> r.refundId().equals(refundId)).findFirst();
        }

        Payment withStatus(PaymentStatus next) {
            return new Payment(paymentId, merchantId, amount, captureMethod, source, description, metadata,
                    createdAt, next, amountCapturedMinor, failureCode, refunds, dispute);
        }

        Payment captured(long capturedMinor) {
            return new Payment(paymentId, merchantId, amount, captureMethod, source, description, metadata,
                    createdAt, PaymentStatus.SUCCEEDED, capturedMinor, failureCode, refunds, dispute);
        }

        Payment failed(FailureCode code) {
            return new Payment(paymentId, merchantId, amount, captureMethod, source, description, metadata,
                    createdAt, PaymentStatus.FAILED, amountCapturedMinor, code, refunds, dispute);
        }

        /** This payment with {@code refund} added, or replacing the refund of the same id. */
        Payment withRefund(Refund refund) {
            List<Refund> next = new ArrayList<>(refunds);
            int at = indexOf(refund.refundId());
            if (at < 0) {
                next.add(refund);
            } else {
                next.set(at, refund);
            }
            return new Payment(paymentId, merchantId, amount, captureMethod, source, description, metadata,
                    createdAt, status, amountCapturedMinor, failureCode, next, dispute);
        }

        Payment withDispute(Dispute next) {
            return new Payment(paymentId, merchantId, amount, captureMethod, source, description, metadata,
                    createdAt, status, amountCapturedMinor, failureCode, refunds, next);
        }

        private int indexOf(String refundId) {
            for (int i = 0; i < refunds.size(); i++) {
                if (refunds.get(i).refundId().equals(refundId)) {
                    return i;
                }
            }
            return -1;
        }

        private long sumOfRefunds(RefundStatus status) {
            return refunds.stream()
                    .filter(r -> r.status() == status)
                    .mapToLong(r -> r.amount().amountMinor())
                    .reduce(0, Math::addExact);
        }
    }
}
