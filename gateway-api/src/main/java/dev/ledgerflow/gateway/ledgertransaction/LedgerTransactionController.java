package dev.ledgerflow.gateway.ledgertransaction;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionAggregate;
import dev.ledgerflow.core.ledgertransaction.LedgerTransactionAggregate.LedgerTransactionView;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.ReverseLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.VoidPending;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionDecider;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState;
import dev.ledgerflow.core.ledgertransaction.domain.Leg;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.command.RejectionProblems;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * {@code /v1/ledger-transactions}: 2 to 64 legs between a merchant's accounts, applied all or nothing
 * in one append (so in the same group commit as every other write), never below an overdraft limit.
 */
@RestController
@Tag(name = "Ledger transactions")
class LedgerTransactionController {

    private final Commands commands;
    private final CommandExecutor executor;
    private final AccountBalances balances;
    private final Clock clock;

    LedgerTransactionController(Commands commands, CommandExecutor executor, AccountBalances balances, Clock clock) {
        this.commands = commands;
        this.executor = executor;
        this.balances = balances;
        this.clock = clock;
    }

    /** @param currency optional: the from-account's currency when absent */
    record PostingRequest(String fromAccount, String toAccount, Long amount, String currency) {}

    /** @param timeoutSeconds optional: then the transaction expires (voids itself) this long after creation */
    record PendingRequest(Long timeoutSeconds) {}

    record LedgerTransactionRequest(List<PostingRequest> postings, String description, Map<String, String> metadata,
            PendingRequest pending) {}

    /** @param amount optional: post this much of a pending transaction, legs in order; all of it when absent */
    record PostRequest(Long amount) {}

    /** The longest timeout of a pending transaction: 30 days. */
    static final long TIMEOUT_SECONDS_MAX = 30L * 24 * 3600;

    /** A leg as parsed, before its accounts are known. */
    private record Parsed(String from, String to, long amount, CurrencyCode currency) {}

    @PostMapping(path = "/v1/ledger-transactions", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = LedgerTransactionView.class)))
    Mono<ResponseEntity<byte[]>> create(Caller.Merchant merchant, @RequestBody LedgerTransactionRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        List<Parsed> parsed = parse(request.postings());
        Long timeoutSeconds = request.pending() == null ? null : request.pending().timeoutSeconds();
        if (timeoutSeconds != null && (timeoutSeconds < 1 || timeoutSeconds > TIMEOUT_SECONDS_MAX)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "pending.timeout_seconds",
                    "pending.timeout_seconds must be an integer from 1 to " + TIMEOUT_SECONDS_MAX + ".");
        }
        String description = Requests.optionalText(request.description(), "description");
        Map<String, String> metadata = Requests.metadata(request.metadata());
        Set<String> accountIds = new LinkedHashSet<>();
        parsed.forEach(leg -> {
            accountIds.add(leg.from());
            accountIds.add(leg.to());
        });
        return balances.findAll(accountIds)
                .filter(row -> merchant.merchantId().equals(row.merchantId()))
                .collectMap(AccountBalances.BalanceRow::accountId, row -> CurrencyCode.of(row.currency()))
                .flatMap(currencies -> {
                    List<Leg> legs = legs(parsed, currencies);
                    Instant now = clock.instant();
                    String transactionId = Ids.newId(LedgerTransactionAggregate.ID_PREFIX, now);
                    var command = new PostLedgerTransaction(transactionId, merchant.merchantId(), legs, currencies,
                            description, metadata, request.pending() != null,
                            timeoutSeconds == null ? null : now.plusSeconds(timeoutSeconds), now);
                    return commands.run(new Commands.Write<>(
                            CommandRequest.of(LedgerTransactionAggregate.INSTANCE, StreamId.of(transactionId), command,
                                    EventMetadata.of(merchant.merchantId())).onNewStream(),
                            merchant.merchantId(), idempotencyKey,
                            Commands.request("POST", "/v1/ledger-transactions", request), HttpStatus.CREATED,
                            state -> LedgerTransactionView.of((LedgerTransactionState.LedgerTransaction) state),
                            rejection -> storeProblem(legs, rejection)));
                });
    }

    @PostMapping(path = "/v1/ledger-transactions/{id}/post", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = LedgerTransactionView.class)))
    Mono<ResponseEntity<byte[]>> post(Caller.Merchant merchant, @PathVariable String id,
            @RequestBody(required = false) PostRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        Long amount = request == null || request.amount() == null ? null : Requests.amount(request.amount(), "amount");
        return change(merchant, id, new PostPending(id, amount, clock.instant()), "/post", request, idempotencyKey);
    }

    @PostMapping(path = "/v1/ledger-transactions/{id}/void", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = LedgerTransactionView.class)))
    Mono<ResponseEntity<byte[]>> voidPending(Caller.Merchant merchant, @PathVariable String id,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        return change(merchant, id, new VoidPending(id, clock.instant()), "/void", null, idempotencyKey);
    }

    /** Compensating postings for every leg that moved; at most once (a second answers 409 {@code invalid_state}). */
    @PostMapping(path = "/v1/ledger-transactions/{id}/reverse", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = LedgerTransactionView.class)))
    Mono<ResponseEntity<byte[]>> reverse(Caller.Merchant merchant, @PathVariable String id,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        return change(merchant, id, new ReverseLedgerTransaction(id, clock.instant()), "/reverse", null, idempotencyKey);
    }

    private Mono<ResponseEntity<byte[]>> change(Caller.Merchant merchant, String id, LedgerTransactionCommand command,
            String action, Object request, Optional<String> idempotencyKey) {
        if (!Ids.looksLike(LedgerTransactionAggregate.ID_PREFIX, id)) {
            return Mono.error(ApiException.notFound("ledger transaction"));
        }
        return commands.run(new Commands.Write<>(
                CommandRequest.of(LedgerTransactionAggregate.INSTANCE, StreamId.of(id), command,
                                EventMetadata.of(merchant.merchantId()))
                        .onlyIf(state -> state instanceof LedgerTransactionState.LedgerTransaction t
                                && t.merchantId().equals(merchant.merchantId())),
                merchant.merchantId(), idempotencyKey,
                Commands.request("POST", "/v1/ledger-transactions/" + id + action, request), HttpStatus.OK,
                state -> LedgerTransactionView.of((LedgerTransactionState.LedgerTransaction) state),
                // Only a reversal debits (the accounts the transaction credited): one may have spent it since.
                rejection -> rejection instanceof AppendResult.InsufficientFunds short_
                        ? ApiException.field(ApiError.INSUFFICIENT_FUNDS, "to_account", "Account " + short_.accountId()
                                + " no longer holds enough to give back what the transaction credited it.")
                        : RejectionProblems.of(rejection)));
    }

    @GetMapping(path = "/v1/ledger-transactions/{id}", produces = "application/json")
    Mono<LedgerTransactionView> get(Caller.Merchant merchant, @PathVariable String id) {
        if (!Ids.looksLike(LedgerTransactionAggregate.ID_PREFIX, id)) {
            return Mono.error(ApiException.notFound("ledger transaction"));
        }
        return executor.load(LedgerTransactionAggregate.INSTANCE, StreamId.of(id))
                .map(loaded -> loaded.state())
                .filter(state -> state instanceof LedgerTransactionState.LedgerTransaction t
                        && t.merchantId().equals(merchant.merchantId()))
                .map(state -> LedgerTransactionView.of((LedgerTransactionState.LedgerTransaction) state))
                .switchIfEmpty(Mono.error(ApiException.notFound("ledger transaction")));
    }

    /** Every leg's fields, checked in order; a problem names its leg. The count is the decider's rule. */
    private static List<Parsed> parse(List<PostingRequest> postings) {
        if (postings == null) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "postings", "postings is required.");
        }
        if (postings.size() < LedgerTransactionDecider.LEGS_MIN || postings.size() > LedgerTransactionDecider.LEGS_MAX) {
            throw RejectionProblems.of(LedgerTransactionRejection.of(LedgerTransactionRejection.Reason.LEGS_COUNT_INVALID));
        }
        List<Parsed> parsed = new ArrayList<>(postings.size());
        for (int i = 0; i < postings.size(); i++) {
            PostingRequest posting = postings.get(i);
            try {
                if (posting == null) {
                    throw new ApiException(ApiError.INVALID_REQUEST, "A posting must be an object.");
                }
                String from = Requests.required(posting.fromAccount(), "from_account");
                String to = Requests.required(posting.toAccount(), "to_account");
                long amount = Requests.amount(posting.amount(), "amount");
                CurrencyCode currency = posting.currency() == null ? null : Requests.currency(posting.currency(), "currency");
                parsed.add(new Parsed(from, to, amount, currency));
            } catch (ApiException problem) {
                throw problem.atLeg(i);
            }
        }
        return parsed;
    }

    /** The legs, once every account is known to be the merchant's; a leg without a currency takes its from-account's. */
    private static List<Leg> legs(List<Parsed> parsed, Map<String, CurrencyCode> currencies) {
        List<Leg> legs = new ArrayList<>(parsed.size());
        for (int i = 0; i < parsed.size(); i++) {
            Parsed leg = parsed.get(i);
            for (String field : List.of("from_account", "to_account")) {
                String account = field.equals("from_account") ? leg.from() : leg.to();
                if (!currencies.containsKey(account)) {
                    throw ApiException.field(ApiError.NOT_FOUND, field, "No such account: " + account).atLeg(i);
                }
            }
            CurrencyCode currency = leg.currency() == null ? currencies.get(leg.from()) : leg.currency();
            legs.add(new Leg(leg.from(), leg.to(), new Money(leg.amount(), currency)));
        }
        return legs;
    }

    /** The store names the account short of funds; the problem names the first leg that debits it. */
    private static ApiException storeProblem(List<Leg> legs, AppendResult rejection) {
        if (rejection instanceof AppendResult.InsufficientFunds short_) {
            int leg = LedgerTransactionDecider.firstLegDebiting(legs, short_.accountId());
            return RejectionProblems.of(new LedgerTransactionRejection(
                    LedgerTransactionRejection.Reason.INSUFFICIENT_FUNDS, leg));
        }
        return RejectionProblems.of(rejection);
    }
}
