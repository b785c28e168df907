package dev.ledgerflow.gateway.analytics;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.projection.ReadYourWrites;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.projections.volume.VolumeProjection;
import dev.ledgerflow.projections.volume.VolumeQueries;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/reports/volume}: payment volume per UTC hour or day and currency. Without {@code from}
 * and {@code to}, the last 48 hours (hourly) or 90 days (daily).
 */
@RestController
@Tag(name = "Analytics")
class ReportController {

    private static final Set<String> INTERVALS = Set.of("hour", "day");
    private static final Set<String> PARAMETERS = Set.of("interval", "currency", "from", "to", "limit");
    private static final int ROWS_MAX = 1_000;

    private final VolumeQueries queries;
    private final ReadYourWrites readYourWrites;
    private final Clock clock;

    ReportController(VolumeQueries queries, ReadYourWrites readYourWrites, Clock clock) {
        this.queries = queries;
        this.readYourWrites = readYourWrites;
        this.clock = clock;
    }

    /**
     * One period of one currency.
     *
     * @param count payments that succeeded in the period
     * @param gross what they captured
     * @param refundCount refunds that succeeded in the period
     * @param refunded what they returned
     * @param net gross minus refunded
     */
    record VolumeRow(Instant periodStart, String currency, long count, long gross, long refundCount, long refunded, long net) {}

    record VolumeReport(String interval, Instant from, Instant to, List<VolumeRow> data, boolean hasMore) {}

    @GetMapping(path = "/v1/reports/volume", produces = "application/json")
    Mono<VolumeReport> volume(Caller.Merchant merchant, @RequestParam(required = false) String interval,
            @RequestParam(required = false) String currency, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) String limit,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query,
            @RequestHeader(name = ReadYourWrites.HEADER, required = false) Optional<String> minPosition) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        String granularity = QueryParameters.oneOf(interval, "interval", INTERVALS).orElse("day");
        Optional<String> code = Optional.ofNullable(currency).map(c -> Requests.currency(c, "currency").code());
        Instant end = QueryParameters.time(to, "to").orElse(clock.instant());
        Instant start = QueryParameters.time(from, "from")
                .orElse(end.minus(granularity.equals("hour") ? Duration.ofHours(48) : Duration.ofDays(90)));
        if (!start.isBefore(end)) {
            throw ApiException.field(ApiError.INVALID_REQUEST, "from", "from must be before to.");
        }
        int rows = QueryParameters.limit(limit == null ? Integer.toString(ROWS_MAX) : limit, ROWS_MAX);
        return readYourWrites.await(minPosition, VolumeProjection.NAME)
                .then(queries.report(merchant.merchantId(), granularity, code, start, end, rows))
                .map(slice -> new VolumeReport(granularity, start, end, slice.items().stream()
                        .map(r -> new VolumeRow(r.periodStart(), r.currency(), r.count(), r.gross(), r.refundCount(),
                                r.refunded(), r.net()))
                        .toList(), slice.hasMore()));
    }
}
