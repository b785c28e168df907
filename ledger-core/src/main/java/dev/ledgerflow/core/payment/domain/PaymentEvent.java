package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.PaymentSource.Wallet;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What happened to a payment and its refunds, all on the payment's stream ({@code pay_…}).
 *
 * <p>Events that move money carry their {@link #postings()}; the others answer an empty list.
 */
public sealed interface PaymentEvent extends HasPostings {

    String paymentId();

    Instant at();

    /** The public event type (API.md, Events), as stored and sent in webhooks. */
    String type();

    @Override
    default List<Posting> postings() {
        return List.of();
    }

    /**
     * A payment was created and is processing. For a wallet source it places a hold of the whole
     * amount on the wallet account ({@code pending +amount}), which the store's balance guard rejects
     * when the available balance is too small; card and UPI payments move nothing yet.
     *
     * @param description free text, or null
     */
    record PaymentCreated(
            String paymentId,
            String merchantId,
            Money amount,
            CaptureMethod captureMethod,
            PaymentSource source,
            String description,
            Map<String, String> metadata,
            Instant at,
            List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.created";

        public PaymentCreated {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(merchantId, "mer_");
            requireRequestAmount(amount);
            Objects.requireNonNull(captureMethod, "captureMethod");
            Objects.requireNonNull(source, "source");
            if (source instanceof Wallet wallet && !wallet.accountCurrency().equals(amount.currency())) {
                throw new IllegalArgumentException("wallet currency differs from the amount's: " + amount);
            }
            // Sorted by key, so that the stored payload does not depend on a map's iteration order.
            metadata = Collections.unmodifiableMap(new TreeMap<>(Map.copyOf(metadata)));
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The acquirer approved a manual payment: the amount is authorized and awaits capture. */
    record PaymentRequiresCapture(String paymentId, Money amountCapturable, Instant at) implements PaymentEvent {

        public static final String TYPE = "payment.requires_capture";

        public PaymentRequiresCapture {
            IdChecks.require(paymentId, "pay_");
            requireRequestAmount(amountCapturable);
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The payment was captured: {@code amountCaptured} moves from the source to the merchant's
     * settlement account, and the rest of the authorization ({@code amountReleased}) is released. For a
     * wallet the posting also releases the whole hold.
     */
    record PaymentSucceeded(
            String paymentId, Money amountCaptured, Money amountReleased, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.succeeded";

        public PaymentSucceeded {
            IdChecks.require(paymentId, "pay_");
            requireRequestAmount(amountCaptured);
            if (amountReleased.amountMinor() < 0 || !amountReleased.sameCurrencyAs(amountCaptured)) {
                throw new IllegalArgumentException("released amount invalid: " + amountReleased);
            }
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The payment failed while processing; a wallet hold is released. */
    record PaymentFailed(String paymentId, FailureCode failureCode, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.failed";

        public PaymentFailed {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(failureCode, "failureCode");
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The payment was canceled before capture; a wallet hold is released. */
    record PaymentCanceled(String paymentId, Instant at, List<Posting> postings) implements PaymentEvent {

        public static final String TYPE = "payment.canceled";

        public PaymentCanceled {
            IdChecks.require(paymentId, "pay_");
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * A refund was requested. It reserves its amount against the captured amount, so that refunds
     * requested concurrently can never exceed it, and holds it on the merchant's settlement account
     * ({@code pending +amount}) until the acquirer answers.
     *
     * @param reason free text, or null
     * @param postings the hold; empty in refunds recorded before refunds held their amount (then null in the payload)
     */
    record RefundCreated(String paymentId, String refundId, Money amount, String reason, Instant at,
            List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "refund.created";

        public RefundCreated {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            requireRequestAmount(amount);
            Objects.requireNonNull(at, "at");
            postings = postings == null ? List.of() : Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * A refund's money went back: {@code -amount} on settlement (and its hold released), {@code +amount}
     * to the source's account.
     */
    record RefundSucceeded(String paymentId, String refundId, Money amount, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "refund.succeeded";

        public RefundSucceeded {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            requireRequestAmount(amount);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * A refund failed (the acquirer declined it): nothing moved, its hold on the settlement account is
     * released ({@code pending -amount}), and its amount is refundable again.
     *
     * @param postings the release; empty for a refund that held nothing
     */
    record RefundFailed(String paymentId, String refundId, Money amount, FailureCode failureCode, Instant at,
            List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "refund.failed";

        public RefundFailed {
            IdChecks.require(paymentId, "pay_");
            IdChecks.require(refundId, "re_");
            requireRequestAmount(amount);
            Objects.requireNonNull(failureCode, "failureCode");
            Objects.requireNonNull(at, "at");
            postings = postings == null ? List.of() : Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The customer disputed a captured payment (a chargeback): the disputed amount is held on the
     * merchant's settlement account ({@code pending +amount}) until the dispute is decided, and is not
     * refundable meanwhile.
     */
    record PaymentDisputed(String paymentId, Money amount, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.disputed";

        public PaymentDisputed {
            IdChecks.require(paymentId, "pay_");
            requireRequestAmount(amount);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The merchant won the dispute: the hold is released and the money stays with the merchant. */
    record PaymentDisputeWon(String paymentId, Money amount, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.dispute_won";

        public PaymentDisputeWon {
            IdChecks.require(paymentId, "pay_");
            requireRequestAmount(amount);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The merchant lost the dispute: the held amount leaves the settlement account ({@code posted
     * -amount}, hold released) for card clearing, where the acquirer gives it back to the customer.
     */
    record PaymentDisputeLost(String paymentId, Money amount, Instant at, List<Posting> postings)
            implements PaymentEvent {

        public static final String TYPE = "payment.dispute_lost";

        public PaymentDisputeLost {
            IdChecks.require(paymentId, "pay_");
            requireRequestAmount(amount);
            Objects.requireNonNull(at, "at");
            postings = Postings.requireBalanced(postings);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    private static void requireRequestAmount(Money amount) {
        if (!amount.withinRequestLimits()) {
            throw new IllegalArgumentException("amount out of range: " + amount);
        }
    }
}
