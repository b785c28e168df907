package dev.ledgerflow.gateway.balancemonitor;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.balancemonitor.BalanceMonitorAggregate;
import dev.ledgerflow.core.balancemonitor.BalanceMonitorAggregate.BalanceMonitorView;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.AccountFacts;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.CreateBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.DeleteBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState;
import dev.ledgerflow.core.balancemonitor.domain.Condition;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.projection.ReadYourWrites;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.projections.balancemonitor.BalanceMonitorQueries;
import dev.ledgerflow.projections.balancemonitor.BalanceMonitorsProjection;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/balance-monitors}: edge-triggered watches of one of the merchant's accounts. Creating and
 * deleting are writes on the monitor's stream; firing is the evaluator's (see {@code
 * BalanceMonitorEvaluator}); a monitor is read from its stream, the list from the projection.
 */
@RestController
@Tag(name = "Balance monitors")
class BalanceMonitorController {

    private static final Set<String> FIELDS = Set.of("available", "posted");
    private static final Set<String> PARAMETERS = Set.of("account", "limit", "starting_after");

    private final Commands commands;
    private final CommandExecutor executor;
    private final AccountBalances balances;
    private final BalanceMonitorQueries queries;
    private final ReadYourWrites readYourWrites;
    private final Clock clock;

    BalanceMonitorController(Commands commands, CommandExecutor executor, AccountBalances balances,
            BalanceMonitorQueries queries, ReadYourWrites readYourWrites, Clock clock) {
        this.commands = commands;
        this.executor = executor;
        this.balances = balances;
        this.queries = queries;
        this.readYourWrites = readYourWrites;
        this.clock = clock;
    }

    /**
     * @param field the watched balance: {@code available} (default) or {@code posted}
     * @param below fire when the balance goes under this (exactly one of {@code below} and {@code above})
     * @param above fire when the balance goes over this
     * @param hysteresis how far back past the threshold the balance must come to re-arm (default 0)
     * @param currency optional: the threshold's currency, which must be the account's
     */
    record ConditionRequest(String field, Long below, Long above, Long hysteresis, String currency) {}

    record BalanceMonitorRequest(String account, ConditionRequest condition) {}

    record BalanceMonitorList(List<JsonNode> data, boolean hasMore) {}

    @PostMapping(path = "/v1/balance-monitors", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = BalanceMonitorView.class)))
    Mono<ResponseEntity<byte[]>> create(Caller.Merchant merchant, @RequestBody BalanceMonitorRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        String accountId = Requests.required(request.account(), "account");
        Condition condition = condition(request.condition());
        CurrencyCode currency = request.condition().currency() == null
                ? null
                : Requests.currency(request.condition().currency(), "condition.currency");
        return balances.find(accountId)
                .map(row -> Optional.of(new AccountFacts(row.accountId(), row.merchantId(), CurrencyCode.of(row.currency()),
                        row.overdraftLimitMinor())))
                .defaultIfEmpty(Optional.empty())
                .flatMap(account -> {
                    Instant now = clock.instant();
                    String monitorId = Ids.newId(BalanceMonitorAggregate.ID_PREFIX, now);
                    var command = new CreateBalanceMonitor(monitorId, merchant.merchantId(), accountId,
                            account.orElse(null), condition, currency, now);
                    return commands.run(new Commands.Write<>(
                            CommandRequest.of(BalanceMonitorAggregate.INSTANCE, StreamId.of(monitorId), command,
                                    EventMetadata.of(merchant.merchantId())).onNewStream(),
                            merchant.merchantId(), idempotencyKey,
                            Commands.request("POST", "/v1/balance-monitors", request), HttpStatus.CREATED,
                            BalanceMonitorController::view));
                });
    }

    @GetMapping(path = "/v1/balance-monitors/{id}", produces = "application/json")
    Mono<BalanceMonitorView> get(Caller.Merchant merchant, @PathVariable String id) {
        if (!Ids.looksLike(BalanceMonitorAggregate.ID_PREFIX, id)) {
            return Mono.error(ApiException.notFound("balance monitor"));
        }
        return executor.load(BalanceMonitorAggregate.INSTANCE, StreamId.of(id))
                .map(loaded -> loaded.state())
                .filter(state -> owned(state, merchant))
                .map(BalanceMonitorController::view)
                .switchIfEmpty(Mono.error(ApiException.notFound("balance monitor")));
    }

    /** The merchant's monitors, deleted ones included, newest first; {@code account=} narrows to one account. */
    @GetMapping(path = "/v1/balance-monitors", produces = "application/json")
    Mono<BalanceMonitorList> list(Caller.Merchant merchant, @RequestParam(required = false) String account,
            @RequestParam(required = false) String limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        int pageSize = QueryParameters.limit(limit);
        Optional<String> accountId = QueryParameters.text(account, "account");
        Optional<String> after = QueryParameters.text(startingAfter, "starting_after");
        if (after.isPresent() && !Ids.looksLike(BalanceMonitorAggregate.ID_PREFIX, after.get())) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "starting_after", "No balance monitor " + after.get() + ".");
        }
        return readYourWrites.await(minPosition, BalanceMonitorsProjection.NAME)
                .then(queries.page(merchant.merchantId(), accountId, after, pageSize))
                .map(slice -> new BalanceMonitorList(
                        slice.items().stream().map(data -> LedgerJson.mapper().readTree(data)).toList(), slice.hasMore()));
    }

    /** Stops the monitor for good; a second delete answers 409 {@code invalid_state}. */
    @DeleteMapping(path = "/v1/balance-monitors/{id}", produces = "application/json")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BalanceMonitorView.class)))
    Mono<ResponseEntity<byte[]>> delete(Caller.Merchant merchant, @PathVariable String id,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        if (!Ids.looksLike(BalanceMonitorAggregate.ID_PREFIX, id)) {
            return Mono.error(ApiException.notFound("balance monitor"));
        }
        return commands.run(new Commands.Write<>(
                CommandRequest.of(BalanceMonitorAggregate.INSTANCE, StreamId.of(id),
                                new DeleteBalanceMonitor(id, clock.instant()), EventMetadata.of(merchant.merchantId()))
                        .onlyIf(state -> owned(state, merchant)),
                merchant.merchantId(), idempotencyKey, Commands.request("DELETE", "/v1/balance-monitors/" + id, null),
                HttpStatus.OK, BalanceMonitorController::view));
    }

    private static boolean owned(BalanceMonitorState state, Caller.Merchant merchant) {
        return state instanceof BalanceMonitorState.BalanceMonitor m && m.merchantId().equals(merchant.merchantId());
    }

    private static BalanceMonitorView view(BalanceMonitorState state) {
        return BalanceMonitorView.of((BalanceMonitorState.BalanceMonitor) state);
    }

    /** The condition's shape; its ranges are the decider's rules. */
    private static Condition condition(ConditionRequest request) {
        if (request == null) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "condition", "condition is required.");
        }
        String field = request.field() == null ? "available" : request.field().toLowerCase(Locale.ROOT);
        if (!FIELDS.contains(field)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "condition.field",
                    "condition.field must be available or posted.");
        }
        if ((request.below() == null) == (request.above() == null)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "condition",
                    "condition needs exactly one of below and above.");
        }
        Condition.Operator operator = request.below() != null ? Condition.Operator.BELOW : Condition.Operator.ABOVE;
        long threshold = request.below() != null ? request.below() : request.above();
        long hysteresis = request.hysteresis() == null ? 0 : request.hysteresis();
        return new Condition(Condition.Field.valueOf(field.toUpperCase(Locale.ROOT)), operator, threshold, hysteresis);
    }
}
