package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.CardNumbers;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * An acquirer in memory whose outcomes are chosen by the documented test numbers (API.md, Payments).
 *
 * <p>Like real test tokens, the token of a card number names its scenario, so the number itself is
 * never kept: {@code 4242424242424242} approves; {@code 4000000000000002} declines
 * ({@code card_declined}); {@code 4000000000009995} declines ({@code insufficient_funds});
 * {@code 4000000000000119} fails transiently twice per payment, then approves; {@code
 * 4000000000000259} never answers; any other valid number approves. UPI: {@code failure@upi}
 * declines ({@code card_declined}); {@code success@upi} and any other handle approve. An unknown
 * token approves as well.
 *
 * <p>Refunds: {@code 4000000000005126} approves payments but declines every refund ({@code
 * expired_or_canceled_card}); {@code 4000000000007726} approves payments and refunds, but answers a
 * refund only after {@link #REFUND_LATE_DELAY_DEFAULT} (the refund stays {@code pending} meanwhile);
 * every other card and UPI handle refunds after the latency. A refund id's answer is remembered.
 *
 * <p>Each payment id's final answer is remembered: asking again answers the same and never charges
 * twice. The decision is taken when the latency has passed; a caller that gave up before that charged
 * nothing.
 */
public final class SimulatedAcquirer implements Acquirer {

    /** The latency when none is configured. */
    public static final Duration LATENCY_DEFAULT = Duration.ofMillis(20);

    /** How late the late refund answers when no delay is configured. */
    public static final Duration REFUND_LATE_DELAY_DEFAULT = Duration.ofSeconds(1);

    private static final int TRANSIENT_FAILURES = 2;

    /** A test scenario, and the token of its card numbers. */
    enum Scenario {
        APPROVE("tok_sim_approve"),
        CARD_DECLINED("tok_sim_card_declined"),
        INSUFFICIENT_FUNDS("tok_sim_insufficient_funds"),
        TRANSIENT_TWICE("tok_sim_transient_twice"),
        NO_ANSWER("tok_sim_no_answer"),
        REFUND_DECLINED("tok_sim_refund_declined"),
        REFUND_LATE("tok_sim_refund_late");

        final String token;

        Scenario(String token) {
            this.token = token;
        }

        static Scenario ofToken(String token) {
            return Arrays.stream(values()).filter(s -> s.token.equals(token)).findFirst().orElse(APPROVE);
        }
    }

    private static final Map<String, Scenario> SCENARIO_BY_CARD_NUMBER = Map.of(
            "4242424242424242", Scenario.APPROVE,
            "4000000000000002", Scenario.CARD_DECLINED,
            "4000000000009995", Scenario.INSUFFICIENT_FUNDS,
            "4000000000000119", Scenario.TRANSIENT_TWICE,
            "4000000000000259", Scenario.NO_ANSWER,
            "4000000000005126", Scenario.REFUND_DECLINED,
            "4000000000007726", Scenario.REFUND_LATE);

    private final Duration latency;
    private final Duration refundLateDelay;
    private final ConcurrentMap<String, AcquirerResponse> refundAnswers = new ConcurrentHashMap<>();
    private final AtomicLong refundCalls = new AtomicLong();
    private final ConcurrentMap<String, AcquirerResponse> finalAnswers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> transientFailures = new ConcurrentHashMap<>();
    private final AtomicLong authorizeCalls = new AtomicLong();
    private final AtomicLong distinctCharges = new AtomicLong();

    /** @param latency how long each answer takes ({@link #LATENCY_DEFAULT} is typical) */
    public SimulatedAcquirer(Duration latency) {
        this(latency, REFUND_LATE_DELAY_DEFAULT);
    }

    /** @param refundLateDelay how long the late refund ({@code 4000000000007726}) takes to answer */
    public SimulatedAcquirer(Duration latency, Duration refundLateDelay) {
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(refundLateDelay, "refundLateDelay");
        if (latency.isNegative() || refundLateDelay.isNegative()) {
            throw new IllegalArgumentException("latency and refund delay must not be negative");
        }
        this.latency = latency;
        this.refundLateDelay = refundLateDelay;
    }

    @Override
    public String tokenize(String cardNumber) {
        if (!CardNumbers.luhnValid(cardNumber)) {
            throw new IllegalArgumentException("not a valid card number"); // never echo the number
        }
        return SCENARIO_BY_CARD_NUMBER.getOrDefault(cardNumber, Scenario.APPROVE).token;
    }

    @Override
    public Mono<AcquirerResponse> authorize(AuthorizationRequest request) {
        return Mono.defer(() -> {
            authorizeCalls.incrementAndGet();
            Scenario scenario = scenario(request.instrument());
            if (scenario == Scenario.NO_ANSWER) {
                return Mono.never();
            }
            return Mono.delay(latency).map(tick -> answer(request.paymentId(), scenario));
        });
    }

    @Override
    public Mono<AcquirerResponse> refund(RefundRequest request) {
        return Mono.defer(() -> {
            refundCalls.incrementAndGet();
            Scenario scenario = scenario(request.instrument());
            Duration wait = scenario == Scenario.REFUND_LATE ? refundLateDelay : latency;
            return Mono.delay(wait).map(tick -> refundAnswers.computeIfAbsent(request.refundId(),
                    id -> scenario == Scenario.REFUND_DECLINED
                            ? new AcquirerResponse.Declined(FailureCode.EXPIRED_OR_CANCELED_CARD)
                            : new AcquirerResponse.Approved()));
        });
    }

    /** Calls of {@link #refund}, repeats included. */
    public long refundCalls() {
        return refundCalls.get();
    }

    /** Payments approved, each counted once however often it was asked for. */
    public long distinctCharges() {
        return distinctCharges.get();
    }

    /** Calls of {@link #authorize}, repeats and unanswered ones included. */
    public long authorizeCalls() {
        return authorizeCalls.get();
    }

    private AcquirerResponse answer(String paymentId, Scenario scenario) {
        AcquirerResponse remembered = finalAnswers.get(paymentId);
        if (remembered != null) {
            return remembered;
        }
        AcquirerResponse response = switch (scenario) {
            case APPROVE, REFUND_DECLINED, REFUND_LATE -> new AcquirerResponse.Approved();
            case CARD_DECLINED -> new AcquirerResponse.Declined(FailureCode.CARD_DECLINED);
            case INSUFFICIENT_FUNDS -> new AcquirerResponse.Declined(FailureCode.INSUFFICIENT_FUNDS);
            case TRANSIENT_TWICE -> transientFailures.merge(paymentId, 1, Integer::sum) <= TRANSIENT_FAILURES
                    ? new AcquirerResponse.TransientError("simulated acquirer outage")
                    : new AcquirerResponse.Approved();
            case NO_ANSWER -> throw new IllegalStateException("an unanswered request has no answer");
        };
        if (response instanceof AcquirerResponse.TransientError) {
            return response;
        }
        // Two concurrent requests for one payment: the first answer wins and is the only charge.
        AcquirerResponse first = finalAnswers.putIfAbsent(paymentId, response);
        if (first != null) {
            return first;
        }
        if (response instanceof AcquirerResponse.Approved) {
            distinctCharges.incrementAndGet();
        }
        return response;
    }

    private static Scenario scenario(Instrument instrument) {
        return switch (instrument) {
            case Instrument.CardToken card -> Scenario.ofToken(card.token());
            case Instrument.UpiHandle upi -> upi.vpa().equalsIgnoreCase("failure@upi")
                    ? Scenario.CARD_DECLINED
                    : Scenario.APPROVE;
        };
    }
}
