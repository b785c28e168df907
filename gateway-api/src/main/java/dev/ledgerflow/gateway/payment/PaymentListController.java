package dev.ledgerflow.gateway.payment;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.projection.ReadYourWrites;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.transaction.TransactionQueries;
import dev.ledgerflow.projections.transaction.TransactionQueries.Filter;
import dev.ledgerflow.projections.transaction.TransactionsProjection;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** {@code GET /v1/payments}: the merchant's payments, newest first, from the transaction view. */
@RestController
@Tag(name = "Payments")
class PaymentListController {

    private static final Set<String> STATUSES = Set.of("processing", "requires_capture", "succeeded", "failed", "canceled");
    private static final Set<String> PARAMETERS = Set.of("status", "created_gte", "created_lt", "limit", "starting_after");

    private final TransactionQueries queries;
    private final ReadYourWrites readYourWrites;

    PaymentListController(TransactionQueries queries, ReadYourWrites readYourWrites) {
        this.queries = queries;
        this.readYourWrites = readYourWrites;
    }

    /** Payment objects as {@code GET /v1/payments/{id}} shows them. */
    record PaymentList(List<JsonNode> data, boolean hasMore) {}

    @GetMapping(path = "/v1/payments", produces = "application/json")
    Mono<PaymentList> list(Caller.Merchant merchant, @RequestParam(required = false) String status,
            @RequestParam(name = "created_gte", required = false) String createdGte,
            @RequestParam(name = "created_lt", required = false) String createdLt,
            @RequestParam(required = false) String limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        Filter filter = new Filter(merchant.merchantId(), Optional.of("payment"), QueryParameters.oneOf(status, "status", STATUSES),
                Optional.empty(), QueryParameters.time(createdGte, "created_gte"), QueryParameters.time(createdLt, "created_lt"));
        int pageSize = QueryParameters.limit(limit);
        Mono<Optional<TransactionQueries.Cursor>> cursor = startingAfter == null
                ? Mono.just(Optional.empty())
                : queries.cursor(merchant.merchantId(), startingAfter)
                        .filter(found -> found.isPresent() && startingAfter.startsWith("pay_"))
                        .switchIfEmpty(Mono.error(() -> ApiException.field(ApiError.INVALID_REQUEST, "starting_after",
                                "No payment " + startingAfter + ".")));
        return readYourWrites.await(minPosition, TransactionsProjection.NAME)
                .then(cursor)
                .flatMap(after -> queries.page(filter, after, pageSize))
                .map(slice -> new PaymentList(
                        slice.items().stream().map(row -> LedgerJson.mapper().readTree(row.data())).toList(), slice.hasMore()));
    }
}
