package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.PaymentViews;
import dev.ledgerflow.core.payment.domain.CardNumbers;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.processor.Acquirer;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.payment.PaymentRequests.CreatePaymentRequest;
import dev.ledgerflow.gateway.payment.PaymentRequests.SourceRequest;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Creating a payment, the one path for {@code POST /v1/payments} and a hosted checkout's payment:
 * {@link #prepare} checks the request and resolves its source (the card number becomes brand, last
 * four, a keyed fingerprint and the acquirer's token, and goes no further); {@link #run} writes it.
 */
@Component
public class PaymentCreation {

    private final Commands commands;
    private final AccountBalances balances;
    private final Acquirer acquirer;
    private final CardFingerprints fingerprints;
    private final Clock clock;

    PaymentCreation(Commands commands, AccountBalances balances, Acquirer acquirer, CardFingerprints fingerprints, Clock clock) {
        this.commands = commands;
        this.balances = balances;
        this.acquirer = acquirer;
        this.fingerprints = fingerprints;
        this.clock = clock;
    }

    /** A checked payment, ready to write; {@code fingerprinted} is its request without card number or CVC. */
    public record Prepared(String paymentId, String merchantId, PaymentCommand.CreatePayment command, Object fingerprinted) {}

    /** Checks the request (every problem a 4xx {@link ApiException}) and resolves its source. */
    public Mono<Prepared> prepare(String merchantId, CreatePaymentRequest request, String paymentId) {
        long amount = Requests.amount(request.amount(), "amount");
        CurrencyCode currency = Requests.currency(request.currency(), "currency");
        var captureMethod = PaymentRequests.captureMethod(request.captureMethod());
        String description = Requests.optionalText(request.description(), "description");
        var metadata = Requests.metadata(request.metadata());
        SourceRequest source = PaymentRequests.source(request.source());
        Instant now = clock.instant();
        return source(merchantId, source, currency, now).map(resolved -> {
            var command = new PaymentCommand.CreatePayment(paymentId, merchantId, new Money(amount, currency),
                    captureMethod, resolved, description, metadata, now);
            // The fingerprint sees the card's keyed fingerprint, never its number or CVC.
            Object fingerprinted = resolved instanceof PaymentSource.Card card
                    ? new CreatePaymentRequest(request.amount(), request.currency(), request.captureMethod(),
                            description, request.metadata(), source.redacted(card.fingerprint()))
                    : request;
            return new Prepared(paymentId, merchantId, command, fingerprinted);
        });
    }

    /** Writes the payment (202, processed asynchronously by the payment processor). */
    public Mono<ResponseEntity<byte[]>> run(Prepared prepared, Optional<String> idempotencyKey, String path) {
        return commands.run(new Commands.Write<>(
                CommandRequest.of(PaymentAggregate.INSTANCE, StreamId.of(prepared.paymentId()), prepared.command(),
                                EventMetadata.of(prepared.merchantId()))
                        .onNewStream(),
                prepared.merchantId(), idempotencyKey, Commands.request("POST", path, prepared.fingerprinted()),
                HttpStatus.ACCEPTED, state -> PaymentViews.payment((PaymentState.Payment) state)));
    }

    private Mono<PaymentSource> source(String merchantId, SourceRequest source, CurrencyCode currency, Instant now) {
        return switch (source.type()) {
            case "card" -> {
                PaymentRequests.card(source, now);
                String number = source.number();
                yield Mono.just(new PaymentSource.Card(CardNumbers.brand(number), CardNumbers.last4(number),
                        fingerprints.of(number), source.expMonth(), source.expYear(), acquirer.tokenize(number)));
            }
            case "upi" -> {
                PaymentRequests.upi(source);
                yield Mono.just(new PaymentSource.Upi(source.vpa()));
            }
            default -> {
                String account = Requests.required(source.account(), "source.account");
                yield (Requests.isId(account, "acc_") ? balances.find(account) : Mono.<AccountBalances.BalanceRow>empty())
                        .filter(row -> merchantId.equals(row.merchantId()))
                        .switchIfEmpty(Mono.error(ApiException.field(ApiError.NOT_FOUND,
                                "source.account", "No such account: " + account)))
                        .map(row -> {
                            CurrencyCode accountCurrency = CurrencyCode.of(row.currency());
                            PaymentRequests.sameCurrency(accountCurrency, currency);
                            return (PaymentSource) new PaymentSource.Wallet(account, accountCurrency);
                        });
            }
        };
    }
}
