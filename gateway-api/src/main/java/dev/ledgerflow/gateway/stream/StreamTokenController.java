package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.auth.StreamTokens;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/stream-tokens}: a short-lived token for a browser's {@code EventSource}, for one
 * payment's stream ({@code {"payment": "pay_…"}}, what a checkout page needs) or for all the merchant's
 * streams ({@code {}}, for a back office). The merchant's server asks for it with its secret key and
 * hands only the token to the browser.
 */
@RestController
@Tag(name = "Events")
class StreamTokenController {

    private final StreamTokens tokens;
    private final CommandExecutor executor;

    StreamTokenController(StreamTokens tokens, CommandExecutor executor) {
        this.tokens = tokens;
        this.executor = executor;
    }

    record StreamTokenRequest(String payment) {}

    record StreamToken(String token, String payment, Instant expiresAt) {}

    @PostMapping(path = "/v1/stream-tokens", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<StreamToken> issue(Caller.Merchant merchant, @RequestBody(required = false) StreamTokenRequest request) {
        Optional<String> payment = Optional.ofNullable(request).map(StreamTokenRequest::payment);
        if (payment.isEmpty()) {
            return Mono.fromSupplier(() -> new StreamToken(tokens.issue(merchant.merchantId(), payment), null, tokens.expiresAt()));
        }
        String id = payment.get();
        if (!Requests.isId(id, "pay_")) {
            return Mono.error(ApiException.field(ApiError.NOT_FOUND, "payment", "No such payment: " + id));
        }
        return executor.load(PaymentAggregate.INSTANCE, StreamId.of(id))
                .filter(loaded -> loaded.state() instanceof PaymentState.Payment p && p.merchantId().equals(merchant.merchantId()))
                .switchIfEmpty(Mono.error(() -> ApiException.field(ApiError.NOT_FOUND, "payment", "No such payment: " + id)))
                .map(loaded -> new StreamToken(tokens.issue(merchant.merchantId(), payment), id, tokens.expiresAt()));
    }
}
