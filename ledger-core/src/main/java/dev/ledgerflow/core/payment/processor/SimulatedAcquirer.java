package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.payment.domain.CardNumbers;
import dev.ledgerflow.core.payment.domain.DisputeStatus;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * every other card and UPI handle refunds after the latency. The refund answer follows from the card
 * alone, so a repeated refund id answers the same.
 *
 * <p>Disputes ({@link #plannedDispute}): {@code 4000000000002685} approves, and the customer disputes
 * the payment some time after capture, then the merchant loses; {@code 4000000000001976} the same, but
 * the merchant wins. {@link DisputeSimulation} raises them at the configured delays.
 *
 * <p>Each request's final answer is kept in an {@link AcquirerLedger} by its idempotency key: asking
 * again answers the same and never charges twice; with the ledger in PostgreSQL that holds across
 * restarts and instances. The decision is taken when the latency has passed; a caller that gave up
 * before that charged nothing. {@link #charges()} counts the approvals this acquirer recorded first
 * (real charges), {@link #calls()} every request, repeats included.
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
        REFUND_LATE("tok_sim_refund_late"),
        DISPUTE_LOST("tok_sim_dispute_lost"),
        DISPUTE_WON("tok_sim_dispute_won");

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
            "4000000000007726", Scenario.REFUND_LATE,
            "4000000000002685", Scenario.DISPUTE_LOST,
            "4000000000001976", Scenario.DISPUTE_WON);

    private final Duration latency;
    private final AcquirerLedger ledger;
    private final Duration refundLateDelay;
    private final AtomicLong refundCalls = new AtomicLong();
    private final ConcurrentMap<String, Integer> transientFailures = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong charges = new AtomicLong();
    private final AtomicLong voids = new AtomicLong();

    /** An acquirer whose ledger is in this process's memory. */
    public SimulatedAcquirer(Duration latency) {
        this(latency, AcquirerLedger.inMemory());
    }

    /**
     * @param latency how long each answer takes ({@link #LATENCY_DEFAULT} is typical)
     * @param ledger where the final answers are kept
     */
    public SimulatedAcquirer(Duration latency, AcquirerLedger ledger) {
        this(latency, ledger, REFUND_LATE_DELAY_DEFAULT);
    }

    /**
     * @param latency how long each answer takes ({@link #LATENCY_DEFAULT} is typical)
     * @param ledger where the final answers are kept
     * @param refundLateDelay how long the late refund ({@code 4000000000007726}) takes to answer
     */
    public SimulatedAcquirer(Duration latency, AcquirerLedger ledger, Duration refundLateDelay) {
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(refundLateDelay, "refundLateDelay");
        if (latency.isNegative() || refundLateDelay.isNegative()) {
            throw new IllegalArgumentException("latency and refund delay must not be negative");
        }
        this.latency = latency;
        this.ledger = Objects.requireNonNull(ledger, "ledger");
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
            calls.incrementAndGet();
            Scenario scenario = scenario(request.instrument());
            if (scenario == Scenario.NO_ANSWER) {
                return Mono.never();
            }
            return Mono.delay(latency).flatMap(tick -> answer(request, scenario));
        });
    }

    @Override
    public Mono<Boolean> voidAuthorization(AuthorizationRequest request) {
        return ledger.voidOnce(request).doOnNext(voided -> {
            if (voided) {
                voids.incrementAndGet();
            }
        });
    }

    /** Approvals this acquirer voided because their caller gave up on them (money reserved, then released). */
    public long voids() {
        return voids.get();
    }

    /** Payments this acquirer charged: approvals it recorded first, each counted once however often asked. */
    public long charges() {
        return charges.get();
    }

    @Override
    public Mono<AcquirerResponse> refund(RefundRequest request) {
        return Mono.defer(() -> {
            refundCalls.incrementAndGet();
            Scenario scenario = scenario(request.instrument());
            Duration wait = scenario == Scenario.REFUND_LATE ? refundLateDelay : latency;
            // The answer follows from the card's scenario alone, so a repeated refund id answers the same,
            // across restarts too, without a book of refund answers.
            return Mono.delay(wait).map(tick -> scenario == Scenario.REFUND_DECLINED
                    ? new AcquirerResponse.Declined(FailureCode.EXPIRED_OR_CANCELED_CARD)
                    : new AcquirerResponse.Approved());
        });
    }

    @Override
    public Optional<DisputeStatus> plannedDispute(String acquirerToken) {
        return switch (Scenario.ofToken(acquirerToken)) {
            case DISPUTE_LOST -> Optional.of(DisputeStatus.LOST);
            case DISPUTE_WON -> Optional.of(DisputeStatus.WON);
            default -> Optional.empty();
        };
    }

    /** Calls of {@link #refund}, repeats included. */
    public long refundCalls() {
        return refundCalls.get();
    }

    /** Calls of {@link #authorize}, repeats and unanswered ones included. */
    public long calls() {
        return calls.get();
    }

    private Mono<AcquirerResponse> answer(AuthorizationRequest request, Scenario scenario) {
        String paymentId = request.paymentId();
        AcquirerResponse response = switch (scenario) {
            case APPROVE, REFUND_DECLINED, REFUND_LATE, DISPUTE_LOST, DISPUTE_WON -> new AcquirerResponse.Approved();
            case CARD_DECLINED -> new AcquirerResponse.Declined(FailureCode.CARD_DECLINED);
            case INSUFFICIENT_FUNDS -> new AcquirerResponse.Declined(FailureCode.INSUFFICIENT_FUNDS);
            case TRANSIENT_TWICE -> transientFailures.merge(paymentId, 1, Integer::sum) <= TRANSIENT_FAILURES
                    ? new AcquirerResponse.TransientError("simulated acquirer outage")
                    : new AcquirerResponse.Approved();
            case NO_ANSWER -> throw new IllegalStateException("an unanswered request has no answer");
        };
        if (response instanceof AcquirerResponse.TransientError) {
            return Mono.just(response);
        }
        // Concurrent or repeated requests for one key: the first recorded answer stands and is the only charge.
        // A caller that gives up (its attempt timed out) does not undo a charge being recorded, as with a
        // real acquirer: the recording runs to its end and is counted even if nobody waits for the answer.
        return Mono.fromFuture(() -> ledger.recordOnce(request, response).map(recorded -> {
            if (recorded.first() && recorded.answer() instanceof AcquirerResponse.Approved) {
                charges.incrementAndGet();
            }
            return recorded.answer();
        }).toFuture(), true);
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
