package dev.ledgerflow.gateway.analytics;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.projection.ReadYourWrites;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.transaction.TransactionQueries;
import dev.ledgerflow.projections.transaction.TransactionQueries.Cursor;
import dev.ledgerflow.projections.transaction.TransactionQueries.Filter;
import dev.ledgerflow.projections.transaction.TransactionsProjection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/transactions}: the merchant's payments, refunds, transfers and deposits, newest first,
 * filtered and paged; with {@code Accept: text/csv} the whole filtered set, streamed as CSV.
 */
@RestController
@Tag(name = "Analytics")
class TransactionController {

    static final Set<String> TYPES = Set.of("payment", "refund", "transfer", "deposit", "ledger_transaction");
    static final Set<String> STATUSES =
            Set.of("processing", "requires_capture", "succeeded", "failed", "canceled", "pending", "posted", "voided",
                    "expired", "reversed");
    private static final Set<String> PARAMETERS =
            Set.of("type", "status", "account", "created_gte", "created_lt", "limit", "starting_after");
    static final MediaType TEXT_CSV = MediaType.parseMediaType("text/csv");

    private final TransactionQueries queries;
    private final ReadYourWrites readYourWrites;
    private final Counter exportedRows;

    TransactionController(TransactionQueries queries, ReadYourWrites readYourWrites, MeterRegistry meters) {
        this.queries = queries;
        this.readYourWrites = readYourWrites;
        this.exportedRows = Counter.builder("ledger.export.rows").description("Rows written to CSV exports")
                .register(meters);
    }

    record TransactionList(List<TransactionView> data, boolean hasMore) {}

    @GetMapping(path = "/v1/transactions", produces = {"application/json", "text/csv"})
    @ApiResponse(responseCode = "200", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = TransactionList.class)),
            @Content(mediaType = "text/csv", schema = @Schema(type = "string"))})
    Mono<ResponseEntity<Flux<DataBuffer>>> list(Caller.Merchant merchant,
            @RequestParam(required = false) String type, @RequestParam(required = false) String status,
            @RequestParam(required = false) String account,
            @RequestParam(name = "created_gte", required = false) String createdGte,
            @RequestParam(name = "created_lt", required = false) String createdLt,
            @RequestParam(required = false) String limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        Filter filter = new Filter(merchant.merchantId(), QueryParameters.oneOf(type, "type", TYPES),
                QueryParameters.oneOf(status, "status", STATUSES), QueryParameters.text(account, "account"),
                QueryParameters.time(createdGte, "created_gte"), QueryParameters.time(createdLt, "created_lt"));
        int pageSize = QueryParameters.limit(limit);
        boolean csv = wantsCsv(accept);
        return readYourWrites.await(minPosition, TransactionsProjection.NAME)
                .then(cursor(merchant.merchantId(), startingAfter))
                .map(after -> csv ? export(filter, after) : page(filter, after, pageSize));
    }

    private ResponseEntity<Flux<DataBuffer>> page(Filter filter, Optional<Cursor> after, int pageSize) {
        Flux<DataBuffer> body = queries.page(filter, after, pageSize)
                .map(slice -> new TransactionList(slice.items().stream().map(TransactionView::of).toList(), slice.hasMore()))
                .<DataBuffer>map(list -> DefaultDataBufferFactory.sharedInstance.wrap(LedgerJson.mapper().writeValueAsBytes(list)))
                .flux();
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    private ResponseEntity<Flux<DataBuffer>> export(Filter filter, Optional<Cursor> after) {
        Flux<DataBuffer> body = Csv.of(TransactionView.CSV_HEADER,
                queries.stream(filter, after).doOnNext(row -> exportedRows.increment()), TransactionView::csvFields);
        return ResponseEntity.ok()
                .contentType(new MediaType(TEXT_CSV, java.nio.charset.StandardCharsets.UTF_8))
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"transactions.csv\"")
                .body(body);
    }

    private Mono<Optional<Cursor>> cursor(String merchantId, String startingAfter) {
        if (startingAfter == null) {
            return Mono.just(Optional.empty());
        }
        return queries.cursor(merchantId, startingAfter).map(found -> {
            if (found.isEmpty()) {
                throw ApiException.field(ApiError.INVALID_REQUEST, "starting_after", "No transaction " + startingAfter + ".");
            }
            return found;
        });
    }

    /**
     * CSV when the client names text/csv and does not prefer JSON: a higher quality decides, and
     * between equals the one listed first. A wildcard alone means JSON.
     */
    static boolean wantsCsv(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(accept);
        } catch (org.springframework.util.InvalidMimeTypeException e) {
            return false;
        }
        double csv = -1;
        double json = -1;
        int csvIndex = Integer.MAX_VALUE;
        int jsonIndex = Integer.MAX_VALUE;
        for (int i = 0; i < types.size(); i++) {
            MediaType type = types.get(i);
            if (type.equalsTypeAndSubtype(TEXT_CSV) && type.getQualityValue() > csv) {
                csv = type.getQualityValue();
                csvIndex = i;
            } else if (type.equalsTypeAndSubtype(MediaType.APPLICATION_JSON) && type.getQualityValue() > json) {
                json = type.getQualityValue();
                jsonIndex = i;
            }
        }
        return csv > 0 && (csv > json || (csv == json && csvIndex < jsonIndex));
    }
}
