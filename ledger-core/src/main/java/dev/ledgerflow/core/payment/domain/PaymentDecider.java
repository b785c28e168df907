package dev.ledgerflow.core.payment.domain;

import static dev.ledgerflow.core.payment.domain.PaymentRejection.AMOUNT_INVALID;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.CAPTURE_EXCEEDS_AUTHORIZED;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.CURRENCY_MISMATCH;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.INVALID_STATE;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.PAYMENT_EXISTS;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.PAYMENT_NOT_FOUND;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_EXCEEDS_CAPTURED;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_EXISTS;
import static dev.ledgerflow.core.payment.domain.PaymentRejection.REFUND_NOT_FOUND;

import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
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
import dev.ledgerflow.core.payment.domain.PaymentState.NoPayment;
import dev.ledgerflow.core.payment.domain.PaymentState.Payment;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The decider of one payment stream ({@code pay_…}), which holds the payment and all its refunds.
 *
 * <p><b>Money.</b> A wallet payment holds its amount on creation; capture moves the captured amount
 * from the source (card clearing, or the wallet) to the merchant's settlement account and releases
 * the rest; cancel and failure release the hold. A refund reserves its amount and holds it on the
 * merchant's settlement account when created; it moves the money back when it succeeds, and releases
 * the hold when it fails. A dispute holds the disputed amount on settlement; won, the hold is released;
 * lost, the amount leaves settlement for the source's account (card clearing: back to the customer).
 *
 * <p><b>Repeats.</b> The processor may deliver an outcome twice; an outcome the stream already holds
 * is answered {@link Decision#alreadyDone()}, never with a second event. A different outcome for a
 * payment that has moved on (approval after a cancel) is {@link PaymentRejection#INVALID_STATE}: the
 * processor drops it.
 */
public final class PaymentDecider
        implements Decider<PaymentCommand, PaymentState, PaymentEvent, PaymentRejection> {

    @Override
    public PaymentState initialState() {
        return new NoPayment();
    }

    @Override
    public Decision<PaymentEvent, PaymentRejection> decide(PaymentCommand command, PaymentState state) {
        return switch (command) {
            case CreatePayment create -> create(create, state);
            case AuthorizePayment authorize -> authorize(authorize, state);
            case FailPayment fail -> fail(fail, state);
            case CapturePayment capture -> capture(capture, state);
            case CancelPayment cancel -> cancel(cancel, state);
            case CreateRefund refund -> createRefund(refund, state);
            case CompleteRefund complete -> completeRefund(complete, state);
            case FailRefund fail -> failRefund(fail, state);
            case DisputePayment dispute -> dispute(dispute, state);
            case ResolveDispute resolve -> resolveDispute(resolve, state);
        };
    }

    @Override
    public PaymentState evolve(PaymentState state, PaymentEvent event) {
        return switch (event) {
            case PaymentCreated created -> switch (state) {
                case NoPayment none -> new Payment(created.paymentId(), created.merchantId(), created.amount(),
                        created.captureMethod(), created.source(), created.description(), created.metadata(),
                        created.at(), PaymentStatus.PROCESSING, 0, null, List.of(), null);
                case Payment payment -> throw corrupt(event, "the payment exists");
            };
            case PaymentRequiresCapture authorized -> {
                Payment payment = payment(state, event);
                require(payment.status() == PaymentStatus.PROCESSING, event, "not processing");
                require(payment.captureMethod() == CaptureMethod.MANUAL, event, "automatic capture");
                require(authorized.amountCapturable().equals(payment.amount()), event, "amount differs");
                yield payment.withStatus(PaymentStatus.REQUIRES_CAPTURE);
            }
            case PaymentSucceeded succeeded -> {
                Payment payment = payment(state, event);
                boolean capturable = payment.status() == PaymentStatus.REQUIRES_CAPTURE
                        || (payment.status() == PaymentStatus.PROCESSING
                                && payment.captureMethod() == CaptureMethod.AUTOMATIC);
                require(capturable, event, "not capturable");
                require(succeeded.amountCaptured().plus(succeeded.amountReleased()).equals(payment.amount()), event,
                        "captured and released differ from the amount");
                yield payment.captured(succeeded.amountCaptured().amountMinor());
            }
            case PaymentFailed failed -> {
                Payment payment = payment(state, event);
                require(payment.status() == PaymentStatus.PROCESSING, event, "not processing");
                yield payment.failed(failed.failureCode());
            }
            case PaymentCanceled canceled -> {
                Payment payment = payment(state, event);
                require(payment.status() == PaymentStatus.PROCESSING
                        || payment.status() == PaymentStatus.REQUIRES_CAPTURE, event, "already captured or done");
                yield payment.withStatus(PaymentStatus.CANCELED);
            }
            case RefundCreated created -> {
                Payment payment = payment(state, event);
                require(payment.status() == PaymentStatus.SUCCEEDED, event, "not succeeded");
                require(payment.refund(created.refundId()).isEmpty(), event, "the refund exists");
                require(created.amount().currency().equals(payment.amount().currency()), event, "currency differs");
                require(created.amount().amountMinor() <= payment.amountRefundableMinor(), event,
                        "exceeds the refundable amount");
                yield payment.withRefund(new Refund(created.refundId(), created.amount(), RefundStatus.PENDING,
                        created.reason(), null, created.at(), !created.postings().isEmpty()));
            }
            case RefundSucceeded succeeded -> {
                Payment payment = payment(state, event);
                Refund refund = pendingRefund(payment, succeeded.refundId(), event);
                require(refund.amount().equals(succeeded.amount()), event, "amount differs");
                yield payment.withRefund(refund.succeeded());
            }
            case RefundFailed failed -> {
                Payment payment = payment(state, event);
                Refund refund = pendingRefund(payment, failed.refundId(), event);
                require(refund.amount().equals(failed.amount()), event, "amount differs");
                yield payment.withRefund(refund.failed(failed.failureCode()));
            }
            case PaymentDisputed disputed -> {
                Payment payment = payment(state, event);
                require(payment.status() == PaymentStatus.SUCCEEDED, event, "not succeeded");
                require(payment.dispute() == null, event, "already disputed");
                require(disputed.amount().amountMinor() <= payment.amountRefundableMinor(), event,
                        "exceeds what is neither refunded nor reserved");
                yield payment.withDispute(new Dispute(disputed.amount(), DisputeStatus.OPEN, disputed.at()));
            }
            case PaymentDisputeWon won -> resolved(state, won, won.amount(), DisputeStatus.WON);
            case PaymentDisputeLost lost -> resolved(state, lost, lost.amount(), DisputeStatus.LOST);
        };
    }

    private static Decision<PaymentEvent, PaymentRejection> create(CreatePayment command, PaymentState state) {
        if (!command.amount().withinRequestLimits()) {
            return Decision.rejected(AMOUNT_INVALID);
        }
        if (command.source() instanceof Wallet wallet && !wallet.accountCurrency().equals(command.amount().currency())) {
            return Decision.rejected(CURRENCY_MISMATCH);
        }
        if (state instanceof Payment) {
            return Decision.rejected(PAYMENT_EXISTS);
        }
        return Decision.accepted(new PaymentCreated(command.paymentId(), command.merchantId(), command.amount(),
                command.captureMethod(), command.source(), command.description(), command.metadata(), command.at(),
                hold(command.source(), command.amount())));
    }

    private static Decision<PaymentEvent, PaymentRejection> authorize(AuthorizePayment command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        return switch (payment.status()) {
            case REQUIRES_CAPTURE, SUCCEEDED -> Decision.alreadyDone();
            case FAILED, CANCELED -> Decision.rejected(INVALID_STATE);
            case PROCESSING -> switch (payment.captureMethod()) {
                case MANUAL -> Decision.accepted(
                        new PaymentRequiresCapture(payment.paymentId(), payment.amount(), command.at()));
                case AUTOMATIC -> Decision.accepted(succeeded(payment, payment.amount().amountMinor(), command.at()));
            };
        };
    }

    private static Decision<PaymentEvent, PaymentRejection> fail(FailPayment command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        return switch (payment.status()) {
            case FAILED -> Decision.alreadyDone();
            case REQUIRES_CAPTURE, SUCCEEDED, CANCELED -> Decision.rejected(INVALID_STATE);
            case PROCESSING -> Decision.accepted(
                    new PaymentFailed(payment.paymentId(), command.failureCode(), command.at(), release(payment)));
        };
    }

    private static Decision<PaymentEvent, PaymentRejection> capture(CapturePayment command, PaymentState state) {
        if (!validIfPresent(command.amountMinor())) {
            return Decision.rejected(AMOUNT_INVALID);
        }
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        if (payment.status() != PaymentStatus.REQUIRES_CAPTURE) {
            return Decision.rejected(INVALID_STATE);
        }
        long authorizedMinor = payment.amount().amountMinor();
        long captureMinor = command.amountMinor().orElse(authorizedMinor);
        if (captureMinor > authorizedMinor) {
            return Decision.rejected(CAPTURE_EXCEEDS_AUTHORIZED);
        }
        return Decision.accepted(succeeded(payment, captureMinor, command.at()));
    }

    private static Decision<PaymentEvent, PaymentRejection> cancel(CancelPayment command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        return switch (payment.status()) {
            case CANCELED -> Decision.alreadyDone();
            case SUCCEEDED, FAILED -> Decision.rejected(INVALID_STATE);
            case PROCESSING, REQUIRES_CAPTURE -> Decision.accepted(
                    new PaymentCanceled(payment.paymentId(), command.at(), release(payment)));
        };
    }

    private static Decision<PaymentEvent, PaymentRejection> createRefund(CreateRefund command, PaymentState state) {
        if (!validIfPresent(command.amountMinor())) {
            return Decision.rejected(AMOUNT_INVALID);
        }
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        if (payment.refund(command.refundId()).isPresent()) {
            return Decision.rejected(REFUND_EXISTS);
        }
        if (payment.status() != PaymentStatus.SUCCEEDED) {
            return Decision.rejected(INVALID_STATE);
        }
        if (payment.dispute() != null && payment.dispute().status() == DisputeStatus.OPEN) {
            return Decision.rejected(INVALID_STATE); // the card network decides about this money now
        }
        long refundableMinor = payment.amountRefundableMinor();
        long refundMinor = command.amountMinor().orElse(refundableMinor);
        if (refundMinor > refundableMinor || refundMinor == 0) { // 0: nothing left to refund by default
            return Decision.rejected(REFUND_EXCEEDS_CAPTURED);
        }
        Money refund = Money.of(refundMinor, payment.amount().currency());
        return Decision.accepted(new RefundCreated(payment.paymentId(), command.refundId(), refund, command.reason(),
                command.at(), List.of(Posting.pending(settlement(payment), refund))));
    }

    private static Decision<PaymentEvent, PaymentRejection> completeRefund(CompleteRefund command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        Optional<Refund> found = payment.refund(command.refundId());
        if (found.isEmpty()) {
            return Decision.rejected(REFUND_NOT_FOUND);
        }
        Refund refund = found.get();
        return switch (refund.status()) {
            case SUCCEEDED -> Decision.alreadyDone();
            case FAILED -> Decision.rejected(INVALID_STATE);
            case PENDING -> {
                CurrencyCode currency = refund.amount().currency();
                long amountMinor = refund.amount().amountMinor();
                var postings = List.of(
                        new Posting(settlement(payment), currency, -amountMinor, refund.held() ? -amountMinor : 0),
                        Posting.posted(payment.source().ledgerAccountId(currency), refund.amount()));
                yield Decision.accepted(new RefundSucceeded(
                        payment.paymentId(), refund.refundId(), refund.amount(), command.at(), postings));
            }
        };
    }

    private static Decision<PaymentEvent, PaymentRejection> failRefund(FailRefund command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        Optional<Refund> found = payment.refund(command.refundId());
        if (found.isEmpty()) {
            return Decision.rejected(REFUND_NOT_FOUND);
        }
        Refund refund = found.get();
        return switch (refund.status()) {
            case FAILED -> Decision.alreadyDone();
            case SUCCEEDED -> Decision.rejected(INVALID_STATE);
            case PENDING -> Decision.accepted(new RefundFailed(payment.paymentId(), refund.refundId(),
                    refund.amount(), command.failureCode(), command.at(), refund.held()
                            ? List.of(Posting.pending(settlement(payment), refund.amount().negate()))
                            : List.of()));
        };
    }

    /** The dispute holds what is neither refunded nor reserved by a pending refund; a second one is the same dispute. */
    private static Decision<PaymentEvent, PaymentRejection> dispute(DisputePayment command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        if (payment.dispute() != null) {
            return Decision.alreadyDone();
        }
        long disputedMinor = payment.amountRefundableMinor();
        if (payment.status() != PaymentStatus.SUCCEEDED || disputedMinor == 0) {
            return Decision.rejected(INVALID_STATE); // not captured, or nothing left to dispute
        }
        Money disputed = Money.of(disputedMinor, payment.amount().currency());
        return Decision.accepted(new PaymentDisputed(payment.paymentId(), disputed, command.at(),
                List.of(Posting.pending(settlement(payment), disputed))));
    }

    private static Decision<PaymentEvent, PaymentRejection> resolveDispute(ResolveDispute command, PaymentState state) {
        if (!(state instanceof Payment payment)) {
            return Decision.rejected(PAYMENT_NOT_FOUND);
        }
        Dispute dispute = payment.dispute();
        if (dispute == null) {
            return Decision.rejected(INVALID_STATE);
        }
        if (dispute.status() == command.outcome()) {
            return Decision.alreadyDone();
        }
        if (dispute.status() != DisputeStatus.OPEN) {
            return Decision.rejected(INVALID_STATE); // decided the other way already
        }
        Money amount = dispute.amount();
        CurrencyCode currency = amount.currency();
        return Decision.accepted(switch (command.outcome()) {
            case WON -> new PaymentDisputeWon(payment.paymentId(), amount, command.at(),
                    List.of(Posting.pending(settlement(payment), amount.negate())));
            case LOST -> new PaymentDisputeLost(payment.paymentId(), amount, command.at(), List.of(
                    new Posting(settlement(payment), currency, -amount.amountMinor(), -amount.amountMinor()),
                    Posting.posted(payment.source().ledgerAccountId(currency), amount)));
            case OPEN -> throw new IllegalStateException("ResolveDispute refuses OPEN");
        });
    }

    private static String settlement(Payment payment) {
        return Postings.settlementAccount(payment.merchantId(), payment.amount().currency());
    }

    /** The capture: the source pays the captured amount to settlement, and a wallet's whole hold is released. */
    private static PaymentSucceeded succeeded(Payment payment, long captureMinor, Instant at) {
        CurrencyCode currency = payment.amount().currency();
        Money captured = Money.of(captureMinor, currency);
        var postings = List.of(
                new Posting(payment.source().ledgerAccountId(currency), currency, -captureMinor,
                        -payment.amountHeldMinor()),
                Posting.posted(Postings.settlementAccount(payment.merchantId(), currency), captured));
        return new PaymentSucceeded(payment.paymentId(), captured, payment.amount().minus(captured), at, postings);
    }

    /** A wallet payment reserves its whole amount until capture; external sources hold nothing here. */
    private static List<Posting> hold(PaymentSource source, Money amount) {
        return switch (source) {
            case Wallet wallet -> List.of(Posting.pending(wallet.accountId(), amount));
            case Card card -> List.of();
            case Upi upi -> List.of();
        };
    }

    private static List<Posting> release(Payment payment) {
        long heldMinor = payment.amountHeldMinor();
        if (heldMinor == 0) {
            return List.of();
        }
        CurrencyCode currency = payment.amount().currency();
        return List.of(new Posting(payment.source().ledgerAccountId(currency), currency, 0, -heldMinor));
    }

    private static boolean validIfPresent(OptionalLong amountMinor) {
        return amountMinor.isEmpty() || Money.withinRequestLimits(amountMinor.getAsLong());
    }

    private static Payment payment(PaymentState state, PaymentEvent event) {
        return switch (state) {
            case Payment payment -> payment;
            case NoPayment none -> throw corrupt(event, "no payment yet");
        };
    }

    private static Payment resolved(PaymentState state, PaymentEvent event, Money amount, DisputeStatus outcome) {
        Payment payment = payment(state, event);
        require(payment.dispute() != null && payment.dispute().status() == DisputeStatus.OPEN, event, "no open dispute");
        require(payment.dispute().amount().equals(amount), event, "amount differs");
        return payment.withDispute(payment.dispute().resolved(outcome));
    }

    private static Refund pendingRefund(Payment payment, String refundId, PaymentEvent event) {
        Refund refund = payment.refund(refundId).orElseThrow(() -> corrupt(event, "no such refund"));
        require(refund.status() == RefundStatus.PENDING, event, "refund not pending");
        return refund;
    }

    private static void require(boolean condition, PaymentEvent event, String why) {
        if (!condition) {
            throw corrupt(event, why);
        }
    }

    private static IllegalStateException corrupt(PaymentEvent event, String why) {
        return new IllegalStateException(
                "corrupt stream " + event.paymentId() + ": " + event.type() + " cannot follow (" + why + ")");
    }
}
