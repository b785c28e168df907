package dev.ledgerflow.gateway.account;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.account.AccountView;
import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.account.domain.AccountState;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.deposit.DepositAggregate.DepositView;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.deposit.domain.DepositState;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
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
import java.util.List;
import java.util.Map;
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

/** {@code /v1/accounts}: a merchant's wallet accounts, their deposits and balances. */
@RestController
@Tag(name = "Accounts")
class AccountController {

    private final Commands commands;
    private final CommandExecutor executor;
    private final AccountBalances balances;
    private final Clock clock;

    AccountController(Commands commands, CommandExecutor executor, AccountBalances balances, Clock clock) {
        this.commands = commands;
        this.executor = executor;
        this.balances = balances;
        this.clock = clock;
    }

    record OpenAccountRequest(String currency, Long overdraftLimit, Map<String, String> metadata) {}

    record DepositRequest(Long amount) {}

    record SettlementBalance(String currency, long posted, long pending, long available) {}

    record BalanceList(List<SettlementBalance> data) {}

    @PostMapping(path = "/v1/accounts", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = AccountView.class)))
    Mono<ResponseEntity<byte[]>> open(Caller.Merchant merchant, @RequestBody OpenAccountRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        CurrencyCode currency = Requests.currency(request.currency(), "currency");
        long overdraftLimit = request.overdraftLimit() == null ? 0 : request.overdraftLimit();
        Instant now = clock.instant();
        String accountId = Ids.newId("acc", now);
        var command = new OpenAccount(accountId, merchant.merchantId(), currency, overdraftLimit,
                Requests.metadata(request.metadata()), now);
        return commands.run(new Commands.Write<>(
                CommandRequest.of(AccountAggregate.INSTANCE, StreamId.of(accountId), command, EventMetadata.of(merchant.merchantId()))
                        .onNewStream(),
                merchant.merchantId(), idempotencyKey, Commands.request("POST", "/v1/accounts", request),
                HttpStatus.CREATED, state -> AccountView.of((AccountState.Account) state, 0, 0)));
    }

    @GetMapping(path = "/v1/accounts/{id}", produces = "application/json")
    Mono<AccountView> get(Caller.Merchant merchant, @PathVariable String id) {
        return ownBalance(merchant, id).flatMap(balance -> executor.load(AccountAggregate.INSTANCE, StreamId.of(id))
                .map(loaded -> AccountView.of((AccountState.Account) loaded.state(), balance.postedMinor(), balance.pendingMinor())));
    }

    @PostMapping(path = "/v1/accounts/{id}/deposits", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = DepositView.class)))
    Mono<ResponseEntity<byte[]>> deposit(Caller.Merchant merchant, @PathVariable String id, @RequestBody DepositRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        Requests.id(id, "acc_", "account");
        long amount = Requests.amount(request.amount(), "amount");
        return ownBalance(merchant, id).flatMap(account -> {
            Instant now = clock.instant();
            String depositId = Ids.newId("dep", now);
            CurrencyCode currency = CurrencyCode.of(account.currency());
            var command = new PostDeposit(depositId, merchant.merchantId(), id, currency, new Money(amount, currency), now);
            return commands.run(new Commands.Write<>(
                    CommandRequest.of(DepositAggregate.INSTANCE, StreamId.of(depositId), command, EventMetadata.of(merchant.merchantId()))
                            .onNewStream(),
                    merchant.merchantId(), idempotencyKey,
                    Commands.request("POST", "/v1/accounts/" + id + "/deposits", request),
                    HttpStatus.CREATED, state -> DepositView.of((DepositState.Deposit) state)));
        });
    }

    @GetMapping(path = "/v1/balance", produces = "application/json")
    Mono<BalanceList> settlementBalance(Caller.Merchant merchant) {
        return balances.settlement(merchant.merchantId())
                .map(row -> new SettlementBalance(row.currency(), row.postedMinor(), row.pendingMinor(), row.availableMinor()))
                .collectList()
                .map(BalanceList::new);
    }

    /** The account's balance row, if it is this merchant's; another merchant's account is 404. */
    private Mono<AccountBalances.BalanceRow> ownBalance(Caller.Merchant merchant, String accountId) {
        if (!Requests.isId(accountId, "acc_")) {
            return Mono.error(ApiException.notFound("account"));
        }
        return balances.find(accountId)
                .filter(row -> merchant.merchantId().equals(row.merchantId()))
                .switchIfEmpty(Mono.error(ApiException.notFound("account")));
    }
}
