package dev.ledgerflow.core.payment.processor;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.feed.FeedHandler;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.AuthorizePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CompleteRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailRefund;
import dev.ledgerflow.core.payment.domain.PaymentEvent;
import dev.ledgerflow.core.payment.domain.PaymentEvent.PaymentCreated;
import dev.ledgerflow.core.payment.domain.PaymentEvent.RefundCreated;
import dev.ledgerflow.core.payment.domain.PaymentRejection;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import dev.ledgerflow.core.payment.domain.RefundStatus;
import dev.ledgerflow.core.payment.processor.AuthorizationAttempts.Outcome;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Takes payments and refunds out of {@code processing}: a feed handler that asks the acquirer about
 * each {@code payment.created} (a wallet payment needs no acquirer) and completes each {@code
 * refund.created}, appending the outcome to the payment's stream.
 *
 * <p>It decides from the event it is handed, not from a read of the stream: the append of the outcome
 * expects the version the decision was made at, so a payment that moved on meanwhile is caught there.
 *
 * <p>Duplicates are harmless, so the feed's at-least-once delivery is enough: a payment this instance
 * knows is no longer processing is skipped without asking the acquirer; the acquirer answers a
 * repeated request key (per payment and attempt) with its first answer and no second charge; and an outcome the stream already
 * holds is "already done". An outcome for a payment that moved on meanwhile (approved after a cancel
 * made through another instance) is rejected as {@code invalid_state} and dropped.
 */
public final class PaymentProcessor implements FeedHandler {

    /** The name the processor's checkpoint is saved under. */
    public static final String CONSUMER_NAME = "payment-processor";

    private static final Logger log = LoggerFactory.getLogger(PaymentProcessor.class);
    private static final PaymentAggregate PAYMENTS = PaymentAggregate.INSTANCE;
    /** Room for loading and appending on top of the acquirer's worst case before the feed gives up on a handler. */
    private static final Duration COMMAND_DURATION_MAX = Duration.ofSeconds(30);

    private final CommandExecutor commands;
    private final Acquirer acquirer;
    private final AuthorizationAttempts authorizations;
    private final ProcessorSettings settings;
    private final InstantSource clock;
    private final ProcessorMetrics metrics;

    public PaymentProcessor(CommandExecutor commands, Acquirer acquirer, ProcessorSettings settings, InstantSource clock,
            ProcessorMetrics metrics) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.acquirer = Objects.requireNonNull(acquirer, "acquirer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.authorizations = new AuthorizationAttempts(acquirer, settings, metrics);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A consumer of the feed that runs this processor under {@link #CONSUMER_NAME}, as concurrent as
     * the settings say and patient enough for the acquirer's worst case. Call {@link FeedConsumer#start()}.
     */
    public FeedConsumer consumer(EventStore store, CheckpointStore checkpoints) {
        return consumer(store, checkpoints, event -> Mono.empty());
    }

    /**
     * The same consumer, also handing every event to {@code alongside} after this processor (the
     * expiry of pending ledger transactions rides here, so that it costs no checkpoint of its own).
     */
    public FeedConsumer consumer(EventStore store, CheckpointStore checkpoints, FeedHandler alongside) {
        FeedConsumer.Settings feed = FeedConsumer.Settings.defaults()
                .withConcurrency(concurrency())
                .withHandlerTimeout(handlerTimeout());
        return new FeedConsumer(CONSUMER_NAME, store, checkpoints, alongside(alongside), feed);
    }

    /** This processor, then {@code alongside} for every event: the handler any source of the log runs. */
    public FeedHandler alongside(FeedHandler alongside) {
        return alongside == null ? this : event -> handle(event).then(alongside.handle(event));
    }

    /** Events of different streams handled at once. */
    public int concurrency() {
        return settings.concurrency();
    }

    /** How long one event may take: the acquirer's worst case, with room for loading and appending. */
    public Duration handlerTimeout() {
        return settings.authorizationDurationMax().plus(COMMAND_DURATION_MAX);
    }

    @Override
    public Mono<Void> handle(RecordedEvent recorded) {
        return switch (recorded.type()) {
            case PaymentCreated.TYPE -> Mono.defer(() -> process((PaymentCreated) decode(recorded), recorded));
            case RefundCreated.TYPE -> Mono.defer(() -> complete((RefundCreated) decode(recorded), recorded));
            default -> Mono.empty();
        };
    }

    /**
     * Folds the payment from the event it was handed, without reading its stream: a {@code
     * payment.created} is its first event, so the state at version 1 is the payment it creates. If
     * this instance saw the stream move further (a cancel), that newer state counts instead; if it
     * moved elsewhere unseen, the append of the outcome expects version 1, conflicts, and the outcome
     * is decided again on the stream as it is (dropped after a cancel).
     */
    private Mono<Void> process(PaymentCreated created, RecordedEvent recorded) {
        StreamId stream = recorded.streamId();
        EventMetadata metadata = EventMetadata.of(created.merchantId()).causedBy(recorded.eventId().toString());
        Mono<CommandExecutor.Loaded<PaymentState>> known = recorded.streamVersion() == 1
                ? Mono.just(commands.remembered(PAYMENTS, stream)
                        .filter(remembered -> remembered.version() > 1)
                        .orElseGet(() -> new CommandExecutor.Loaded<>(
                                PAYMENTS.decider().evolve(PAYMENTS.decider().initialState(), created), 1, recorded.position())))
                : commands.load(PAYMENTS, stream); // not the first event: a corrupt stream, let the decider see it
        return known.flatMap(loaded -> {
            // Handed over again after a restart, or canceled meanwhile: don't ask the acquirer again.
            if (!(loaded.state() instanceof PaymentState.Payment payment)) {
                return Mono.empty();
            }
            if (payment.status() != PaymentStatus.PROCESSING) {
                // Failed on timeouts, then handed over again because its void did not finish: void it again.
                return gaveUp(payment.failureCode()) ? voidAuthorization(created) : Mono.empty();
            }
            metrics.started(created.source());
            return switch (created.source()) {
                case PaymentSource.Wallet wallet ->
                        execute(stream, new AuthorizePayment(created.paymentId(), clock.instant()), metadata, loaded,
                                () -> metrics.authorized(wallet));
                case PaymentSource.Card card ->
                        authorize(created, new Instrument.CardToken(card.acquirerToken()), stream, metadata, loaded);
                case PaymentSource.Upi upi ->
                        authorize(created, new Instrument.UpiHandle(upi.vpa()), stream, metadata, loaded);
            };
        });
    }

    /** Asks the acquirer, then records its answer, deciding on the state known before the call (a stale one is retried). */
    private Mono<Void> authorize(PaymentCreated created, Instrument instrument, StreamId stream, EventMetadata metadata,
            CommandExecutor.Loaded<PaymentState> loaded) {
        AuthorizationRequest request = new AuthorizationRequest(created.paymentId(), created.amount(), instrument);
        // The log decides first, the acquirer follows: an authorization is voided only once the payment
        // is failed or canceled in the log, never because this run gave up on a state it knew (a stale one,
        // handed over again after a restart, may be a payment the log already has as succeeded).
        return authorizations.authorize(request).flatMap(outcome -> switch (outcome) {
            // Approved, but the payment moved on meanwhile (canceled, or failed by an earlier run): money is
            // reserved for a payment that no longer wants it, so the authorization is voided.
            case Outcome.Authorized authorized -> outcome(stream, new AuthorizePayment(created.paymentId(), clock.instant()),
                    metadata, loaded, () -> metrics.authorized(created.source()))
                    .flatMap(result -> result instanceof CommandResult.Rejected<PaymentState, PaymentEvent, PaymentRejection> rejected
                            && rejected.rejection() == PaymentRejection.INVALID_STATE
                            ? authorizations.giveUp(request) : Mono.<Void>empty());
            // Given up on timeouts: an attempt may still be approved (or be on its way), so once the payment
            // is failed in the log its authorization is voided (a late approval is then refused).
            case Outcome.Failed failed -> outcome(stream,
                    new FailPayment(created.paymentId(), failed.failureCode(), clock.instant()), metadata, loaded,
                    () -> metrics.failed(created.source(), failed.failureCode()))
                    .flatMap(result -> gaveUp(failed.failureCode()) && failedInLog(result)
                            ? authorizations.giveUp(request) : Mono.<Void>empty());
        });
    }

    /** The processor gave up on the acquirer (as opposed to a decline): an approval may exist that nobody used. */
    private static boolean gaveUp(FailureCode code) {
        return code == FailureCode.TIMEOUT || code == FailureCode.PROCESSING_ERROR;
    }

    private static boolean failedInLog(CommandResult<PaymentState, PaymentEvent, PaymentRejection> result) {
        return result instanceof CommandResult.Done<PaymentState, PaymentEvent, PaymentRejection>
                || result instanceof CommandResult.AlreadyDone<PaymentState, PaymentEvent, PaymentRejection>;
    }

    private Mono<Void> voidAuthorization(PaymentCreated created) {
        Instrument instrument = switch (created.source()) {
            case PaymentSource.Card card -> new Instrument.CardToken(card.acquirerToken());
            case PaymentSource.Upi upi -> new Instrument.UpiHandle(upi.vpa());
            case PaymentSource.Wallet wallet -> null;
        };
        return instrument == null ? Mono.empty()
                : authorizations.giveUp(new AuthorizationRequest(created.paymentId(), created.amount(), instrument));
    }

    /**
     * Completes a refund: a wallet payment's at once; a card or UPI payment's as the acquirer answers
     * (approved: {@code refund.succeeded}; declined: {@code refund.failed}, and the amount is refundable
     * again). A transient error or no answer in time fails the handler, so the feed hands the event over
     * again; the acquirer answers a repeated refund id with its first answer. The payment's source is
     * not in the refund event: it comes from the state this instance remembers, or a read of the stream.
     */
    private Mono<Void> complete(RefundCreated created, RecordedEvent recorded) {
        EventMetadata cause = LedgerJson.mapper().readValue(recorded.metadataJson(), EventMetadata.class);
        EventMetadata metadata = EventMetadata.of(cause.merchant()).causedBy(recorded.eventId().toString());
        StreamId stream = recorded.streamId();
        Mono<CommandExecutor.Loaded<PaymentState>> known = Mono.justOrEmpty(commands.remembered(PAYMENTS, stream)
                        .filter(remembered -> remembered.version() >= recorded.streamVersion()))
                .switchIfEmpty(Mono.defer(() -> commands.load(PAYMENTS, stream)));
        return known.flatMap(loaded -> {
            if (!(loaded.state() instanceof PaymentState.Payment payment)
                    || payment.refund(created.refundId()).filter(r -> r.status() == RefundStatus.PENDING).isEmpty()) {
                return Mono.empty(); // handed over again after it was completed
            }
            Instrument instrument = switch (payment.source()) {
                case PaymentSource.Card card -> new Instrument.CardToken(card.acquirerToken());
                case PaymentSource.Upi upi -> new Instrument.UpiHandle(upi.vpa());
                case PaymentSource.Wallet wallet -> null;
            };
            if (instrument == null) {
                return execute(stream, new CompleteRefund(created.paymentId(), created.refundId(), clock.instant()), metadata,
                        loaded, () -> {});
            }
            return acquirer.refund(new RefundRequest(created.paymentId(), created.refundId(), created.amount(), instrument))
                    // Within the handler's time limit (authorization budget + this), which a late answer is well inside.
                    .timeout(COMMAND_DURATION_MAX)
                    .flatMap(response -> switch (response) {
                        case AcquirerResponse.Approved approved -> execute(stream,
                                new CompleteRefund(created.paymentId(), created.refundId(), clock.instant()), metadata);
                        case AcquirerResponse.Declined declined -> execute(stream, new FailRefund(created.paymentId(),
                                created.refundId(), declined.failureCode(), clock.instant()), metadata);
                        case AcquirerResponse.TransientError error -> Mono.error(new IllegalStateException(
                                "refund " + created.refundId() + ": " + error.reason() + "; handed over again"));
                        case AcquirerResponse.Voided voided -> Mono.error(new IllegalStateException(
                                "refund " + created.refundId() + ": the acquirer answered voided, which it never does to a refund"));
                    });
        });
    }

    private Mono<Void> execute(StreamId stream, PaymentCommand command, EventMetadata metadata) {
        return commands.execute(CommandRequest.of(PAYMENTS, stream, command, metadata))
                .doOnNext(result -> report(command, result))
                .then();
    }

    /** Executes an outcome; {@code onAppended} counts it, once, when this call appended it. */
    private Mono<Void> execute(StreamId stream, PaymentCommand command, EventMetadata metadata,
            CommandExecutor.Loaded<PaymentState> loaded, Runnable onAppended) {
        return outcome(stream, command, metadata, loaded, onAppended).then();
    }

    /** The same, with the result. */
    private Mono<CommandResult<PaymentState, PaymentEvent, PaymentRejection>> outcome(StreamId stream, PaymentCommand command,
            EventMetadata metadata, CommandExecutor.Loaded<PaymentState> loaded, Runnable onAppended) {
        return commands.execute(CommandRequest.of(PAYMENTS, stream, command, metadata), loaded)
                .doOnNext(result -> {
                    report(command, result);
                    if (result instanceof CommandResult.Done<PaymentState, PaymentEvent, PaymentRejection>) {
                        onAppended.run();
                    }
                });
    }

    private static void report(
            PaymentCommand command, CommandResult<PaymentState, PaymentEvent, PaymentRejection> result) {
        String what = command.getClass().getSimpleName();
        switch (result) {
            case CommandResult.Done<PaymentState, PaymentEvent, PaymentRejection> done ->
                    log.debug("{} {}: appended up to position {}", what, command.paymentId(), done.lastPosition());
            case CommandResult.AlreadyDone<PaymentState, PaymentEvent, PaymentRejection> alreadyDone ->
                    log.debug("{} {}: already done", what, command.paymentId());
            case CommandResult.Rejected<PaymentState, PaymentEvent, PaymentRejection> rejected
                    when rejected.rejection() == PaymentRejection.INVALID_STATE
                            && command instanceof AuthorizePayment ->
                    // Money is reserved on the customer's card for a payment that no longer wants it.
                    log.warn("{} {}: approved by the acquirer after the payment moved on (canceled); voiding the"
                            + " authorization at the acquirer", what, command.paymentId());
            case CommandResult.Rejected<PaymentState, PaymentEvent, PaymentRejection> rejected
                    when rejected.rejection() == PaymentRejection.INVALID_STATE ->
                    log.info("{} {}: the payment moved on meanwhile, outcome dropped", what, command.paymentId());
            case CommandResult.Rejected<PaymentState, PaymentEvent, PaymentRejection> rejected ->
                    log.warn("{} {}: rejected ({}), outcome dropped", what, command.paymentId(), rejected.rejection());
            case CommandResult.StoreRejected<PaymentState, PaymentEvent, PaymentRejection> rejected ->
                    log.warn("{} {}: rejected by the store ({}), outcome dropped", what, command.paymentId(),
                            rejected.rejection());
            case CommandResult.Replayed<PaymentState, PaymentEvent, PaymentRejection> replayed ->
                    log.debug("{} {}: replayed", what, command.paymentId());
            case CommandResult.NotFound<PaymentState, PaymentEvent, PaymentRejection> notFound ->
                    log.warn("{} {}: no such payment, outcome dropped", what, command.paymentId());
        }
    }

    private static PaymentEvent decode(RecordedEvent recorded) {
        return PAYMENTS.codec().decode(recorded);
    }
}
