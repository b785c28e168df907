package dev.ledgerflow.gateway.stream;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.QueryParameters;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The event log for operators (admin key): {@code GET /admin/events/stream}, a live tail of every
 * merchant's events as SSE, filtered by {@code type} and by a {@code stream} id prefix; and
 * {@code GET /admin/streams/{id}/events}, one stream's whole history.
 */
@RestController
@Tag(name = "Operations")
class AdminEventController {

    private static final Set<String> TAIL_PARAMETERS = Set.of("type", "stream");
    static final int HISTORY_MAX = 10_000;

    private final EventStreams streams;
    private final EventStore store;
    private final Duration heartbeat;

    AdminEventController(EventStreams streams, EventStore store, LedgerflowProperties properties) {
        this.streams = streams;
        this.store = store;
        this.heartbeat = properties.sseHeartbeat();
    }

    record StreamHistory(String stream, List<PublicEvent> data, boolean hasMore) {}

    @GetMapping(path = "/admin/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Mono<Void> tail(Caller.Admin admin, @RequestParam(required = false) String type,
            @RequestParam(required = false) String stream,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query, ServerHttpResponse response) {
        QueryParameters.onlyKnown(query, TAIL_PARAMETERS);
        Optional<String> typeFilter = QueryParameters.text(type, "type").filter(t -> !t.isBlank());
        Optional<String> streamFilter = QueryParameters.text(stream, "stream").filter(t -> !t.isBlank());
        return Sse.write(response, Sse.of(streams.everyEvent(event ->
                        typeFilter.map(t -> t.endsWith(".*")
                                        ? event.recorded().type().startsWith(t.substring(0, t.length() - 1))
                                        : event.recorded().type().equals(t)).orElse(true)
                                && streamFilter.map(prefix -> event.recorded().streamId().value().startsWith(prefix)).orElse(true),
                Sse.client(response)), heartbeat, true));
    }

    @GetMapping(path = "/admin/streams/{id}/events", produces = "application/json")
    Mono<StreamHistory> history(Caller.Admin admin, @PathVariable String id) {
        if (id.isBlank() || id.length() > 200) {
            return Mono.error(ApiException.field(ApiError.INVALID_REQUEST, "id", "A stream id is 1 to 200 characters."));
        }
        return store.readStream(StreamId.of(id))
                .take(HISTORY_MAX + 1)
                .map(PublicEvent::of)
                .collectList()
                .flatMap(events -> events.isEmpty()
                        ? Mono.error(ApiException.notFound("stream"))
                        : Mono.just(new StreamHistory(id, events.subList(0, Math.min(HISTORY_MAX, events.size())),
                                events.size() > HISTORY_MAX)));
    }
}
