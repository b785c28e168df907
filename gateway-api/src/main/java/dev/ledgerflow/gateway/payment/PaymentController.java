package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.PaymentViews;
import dev.ledgerflow.core.payment.PaymentViews.PaymentView;
import dev.ledgerflow.core.payment.PaymentViews.RefundView;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.payment.PaymentRequests.CaptureRequest;
import dev.ledgerflow.gateway.payment.PaymentRequests.CreatePaymentRequest;
import dev.ledgerflow.gateway.payment.PaymentRequests.RefundRequest;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/payments}: create (202, processed asynchronously by the payment processor), read,
 * capture, cancel, refund, and the payment's event history.
 */
@RestController
@Tag(name = "Payments")
class PaymentController {

    private static final PaymentAggregate PAYMENTS = PaymentAggregate.INSTANCE;

    private final Commands commands;
    private final CommandExecutor executor;
    private final EventStore store;
    private final PaymentCreation creation;
    private final Clock clock;

    PaymentController(Commands commands, CommandExecutor executor, EventStore store, PaymentCreation creation, Clock clock) {
        this.commands = commands;
        this.executor = executor;
        this.store = store;
        this.creation = creation;
        this.clock = clock;
    }

    record RefundList(List<RefundView> data, boolean hasMore) {}

    record EventList(List<PublicEvent> data, boolean hasMore) {}

    @PostMapping(path = "/v1/payments", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = PaymentView.class)))
    Mono<ResponseEntity<byte[]>> create(Caller.Merchant merchant, @RequestBody CreatePaymentRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        return creation.prepare(merchant.merchantId(), request, Ids.newId("pay", clock.instant()))
                .flatMap(prepared -> creation.run(prepared, idempotencyKey, "/v1/payments"));
    }

    @GetMapping(path = "/v1/payments/{id}", produces = "application/json")
    Mono<PaymentView> get(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id).map(PaymentViews::payment);
    }

    @PostMapping(path = "/v1/payments/{id}/capture", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PaymentView.class)))
    Mono<ResponseEntity<byte[]>> capture(Caller.Merchant merchant, @PathVariable String id,
            @RequestBody(required = false) CaptureRequest request, @RequestHeader HttpHeaders headers,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        Requests.id(id, "pay_", "payment");
        PaymentRequests.objectOrNothing(request, headers);
        OptionalLong amount = request == null || request.amount() == null
                ? OptionalLong.empty()
                : OptionalLong.of(Requests.amount(request.amount(), "amount"));
        var command = new PaymentCommand.CapturePayment(id, amount, clock.instant());
        return change(merchant, id, command, "/capture", request, idempotencyKey, HttpStatus.OK, PaymentController::paymentView);
    }

    @PostMapping(path = "/v1/payments/{id}/cancel", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PaymentView.class)))
    Mono<ResponseEntity<byte[]>> cancel(Caller.Merchant merchant, @PathVariable String id,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        Requests.id(id, "pay_", "payment");
        var command = new PaymentCommand.CancelPayment(id, clock.instant());
        return change(merchant, id, command, "/cancel", null, idempotencyKey, HttpStatus.OK, PaymentController::paymentView);
    }

    @PostMapping(path = "/v1/payments/{id}/refunds", produces = "application/json")
    @ApiResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = RefundView.class)))
    Mono<ResponseEntity<byte[]>> refund(Caller.Merchant merchant, @PathVariable String id,
            @RequestBody(required = false) RefundRequest request, @RequestHeader HttpHeaders headers,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        Requests.id(id, "pay_", "payment");
        PaymentRequests.objectOrNothing(request, headers);
        OptionalLong amount = request == null || request.amount() == null
                ? OptionalLong.empty()
                : OptionalLong.of(Requests.amount(request.amount(), "amount"));
        String reason = request == null ? null : Requests.optionalText(request.reason(), "reason");
        Instant now = clock.instant();
        String refundId = Ids.newId("re", now);
        var command = new PaymentCommand.CreateRefund(id, refundId, amount, reason, now);
        return change(merchant, id, command, "/refunds", request, idempotencyKey, HttpStatus.ACCEPTED,
                state -> PaymentViews.refund((PaymentState.Payment) state, refundId));
    }

    @GetMapping(path = "/v1/payments/{id}/refunds", produces = "application/json")
    Mono<RefundList> refunds(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id).map(payment -> new RefundList(
                payment.refunds().stream().map(refund -> PaymentViews.refund(payment, refund)).toList(), false));
    }

    @GetMapping(path = "/v1/payments/{id}/events", produces = "application/json")
    Mono<EventList> events(Caller.Merchant merchant, @PathVariable String id) {
        if (!Requests.isId(id, "pay_")) {
            return Mono.error(ApiException.notFound("payment"));
        }
        return store.readStream(StreamId.of(id))
                .collectList()
                .filter(events -> !events.isEmpty() && merchant.merchantId().equals(PublicEvent.merchantOf(events.getFirst())))
                .map(events -> new EventList(events.stream().map(PublicEvent::of).toList(), false))
                .switchIfEmpty(Mono.error(ApiException.notFound("payment")));
    }

    private Mono<ResponseEntity<byte[]>> change(Caller.Merchant merchant, String id, PaymentCommand command, String action,
            Object request, Optional<String> idempotencyKey, HttpStatus status, Function<PaymentState, Object> view) {
        if (!Requests.isId(id, "pay_")) {
            return Mono.error(ApiException.notFound("payment"));
        }
        return commands.run(new Commands.Write<>(
                CommandRequest.of(PAYMENTS, StreamId.of(id), command, EventMetadata.of(merchant.merchantId()))
                        .onlyIf(state -> state instanceof PaymentState.Payment p && p.merchantId().equals(merchant.merchantId())),
                merchant.merchantId(), idempotencyKey, Commands.request("POST", "/v1/payments/" + id + action, request),
                status, view));
    }

    private Mono<PaymentState.Payment> own(Caller.Merchant merchant, String id) {
        if (!Requests.isId(id, "pay_")) {
            return Mono.error(ApiException.notFound("payment"));
        }
        return executor.load(PAYMENTS, StreamId.of(id))
                .map(loaded -> loaded.state())
                .filter(state -> state instanceof PaymentState.Payment p && p.merchantId().equals(merchant.merchantId()))
                .cast(PaymentState.Payment.class)
                .switchIfEmpty(Mono.error(ApiException.notFound("payment")));
    }

    private static Object paymentView(PaymentState state) {
        return PaymentViews.payment((PaymentState.Payment) state);
    }
}
