package dev.ledgerflow.gateway.transfer;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.transfer.TransferAggregate;
import dev.ledgerflow.core.transfer.TransferAggregate.TransferView;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.core.transfer.domain.TransferState;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code /v1/transfers}: moves between two of a merchant's accounts, never below an overdraft limit. */
@RestController
@Tag(name = "Transfers")
class TransferController {

    private final Commands commands;
    private final CommandExecutor executor;
    private final AccountBalances balances;
    private final Clock clock;

    TransferController(Commands commands, CommandExecutor executor, AccountBalances balances, Clock clock) {
        this.commands = commands;
        this.executor = executor;
        this.balances = balances;
        this.clock = clock;
    }

    record TransferRequest(String fromAccount, String toAccount, Long amount, String currency, String description) {}

    @PostMapping(path = "/v1/transfers", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = TransferView.class)))
    Mono<ResponseEntity<byte[]>> create(Caller.Merchant merchant, @RequestBody TransferRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        String from = Requests.required(request.fromAccount(), "from_account");
        String to = Requests.required(request.toAccount(), "to_account");
        long amount = Requests.amount(request.amount(), "amount");
        CurrencyCode currency = Requests.currency(request.currency(), "currency");
        String description = Requests.optionalText(request.description(), "description");
        return own(merchant, from, "from_account").zipWith(own(merchant, to, "to_account")).flatMap(accounts -> {
            Instant now = clock.instant();
            String transferId = Ids.newId("tr", now);
            var command = new PostTransfer(transferId, merchant.merchantId(), from, CurrencyCode.of(accounts.getT1().currency()),
                    to, CurrencyCode.of(accounts.getT2().currency()), new Money(amount, currency), description, now);
            return commands.run(new Commands.Write<>(
                    CommandRequest.of(TransferAggregate.INSTANCE, StreamId.of(transferId), command, EventMetadata.of(merchant.merchantId()))
                            .onNewStream(),
                    merchant.merchantId(), idempotencyKey, Commands.request("POST", "/v1/transfers", request),
                    HttpStatus.CREATED, state -> TransferView.of((TransferState.Transfer) state)));
        });
    }

    @GetMapping(path = "/v1/transfers/{id}", produces = "application/json")
    Mono<TransferView> get(Caller.Merchant merchant, @PathVariable String id) {
        if (!Requests.isId(id, "tr_")) {
            return Mono.error(ApiException.notFound("transfer"));
        }
        return executor.load(TransferAggregate.INSTANCE, StreamId.of(id))
                .map(loaded -> loaded.state())
                .filter(state -> state instanceof TransferState.Transfer t && t.merchantId().equals(merchant.merchantId()))
                .map(state -> TransferView.of((TransferState.Transfer) state))
                .switchIfEmpty(Mono.error(ApiException.notFound("transfer")));
    }

    private Mono<AccountBalances.BalanceRow> own(Caller.Merchant merchant, String accountId, String field) {
        return (Requests.isId(accountId, "acc_") ? balances.find(accountId) : Mono.<AccountBalances.BalanceRow>empty())
                .filter(row -> merchant.merchantId().equals(row.merchantId()))
                .switchIfEmpty(Mono.error(ApiException.field(dev.ledgerflow.gateway.web.ApiError.NOT_FOUND, field,
                        "No such account: " + accountId)));
    }
}
