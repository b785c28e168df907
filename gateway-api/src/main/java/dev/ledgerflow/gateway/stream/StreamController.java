package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Server-Sent Events: {@code GET /v1/events/stream} (the merchant's events, resumable with
 * {@code Last-Event-ID} or {@code ?after=}) and {@code GET /v1/payments/{id}/stream} (one payment, its
 * current state first, until a final status). Browsers' {@code EventSource}, which cannot send an
 * {@code Authorization} header, authenticate with {@code ?token=} from {@code POST /v1/stream-tokens}.
 */
@RestController
@Tag(name = "Events")
class StreamController {

    private static final Set<String> FEED_PARAMETERS = Set.of("after", "token");
    private static final Set<String> PAYMENT_PARAMETERS = Set.of("token");

    private final EventStreams streams;
    private final Duration heartbeat;

    StreamController(EventStreams streams, dev.ledgerflow.gateway.config.LedgerflowProperties properties) {
        this.streams = streams;
        this.heartbeat = properties.sseHeartbeat();
    }

    @GetMapping(path = "/v1/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Mono<Void> events(Caller.Merchant merchant,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
            @RequestParam(required = false) String after, @RequestParam(required = false) String token,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query, ServerHttpResponse response) {
        QueryParameters.onlyKnown(query, FEED_PARAMETERS);
        Optional<Long> resumeAfter = lastEventId != null && !lastEventId.isBlank()
                ? Optional.of(lastEventId(lastEventId))
                : QueryParameters.position(after, "after");
        return Sse.write(response, Sse.of(streams.merchantFeed(merchant.merchantId(), resumeAfter, Sse.client(response)), heartbeat, true));
    }

    @GetMapping(path = "/v1/payments/{id}/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Mono<Void> payment(Caller.Merchant merchant, @PathVariable String id,
            @RequestParam(required = false) String token,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query, ServerHttpResponse response) {
        QueryParameters.onlyKnown(query, PAYMENT_PARAMETERS);
        return Sse.write(response, Sse.of(streams.payment(merchant.merchantId(), id, Sse.client(response)), heartbeat, false));
    }

    private static long lastEventId(String value) {
        try {
            long position = Long.parseLong(value.strip());
            if (position >= 0) {
                return position;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, "Last-Event-ID", "Last-Event-ID must be a global position.");
    }
}
