package dev.ledgerflow.gateway.event;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.stream.EventStreams;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.event.MerchantEvents;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/events?after=}: the merchant's events in log order, after a global position. Page on
 * by passing the last event's {@code position} as {@code after}.
 */
@RestController
@Tag(name = "Events")
class EventController {

    private static final Set<String> PARAMETERS = Set.of("after", "type", "limit");

    private final EventStore store;
    private final MerchantEvents events;

    EventController(EventStore store, MerchantEvents events) {
        this.store = store;
        this.events = events;
    }

    record EventList(List<PublicEvent> data, boolean hasMore) {}

    @GetMapping(path = "/v1/events", produces = "application/json")
    Mono<EventList> list(Caller.Merchant merchant, @RequestParam(required = false) String after,
            @RequestParam(required = false) String type, @RequestParam(required = false) String limit,
            @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> query) {
        QueryParameters.onlyKnown(query, PARAMETERS);
        long afterPosition = QueryParameters.position(after, "after").orElse(0L);
        Optional<String> eventType = QueryParameters.oneOf(type, "type", Set.copyOf(EventStreams.EVENT_TYPES));
        int pageSize = QueryParameters.limit(limit);
        return store.logPositionOf(afterPosition)
                .flatMap(from -> events.after(merchant.merchantId(), from, Optional.empty(), eventType, pageSize + 1).collectList())
                .map(found -> Slice.of(found, pageSize))
                .map(slice -> new EventList(slice.items().stream().map(PublicEvent::of).toList(), slice.hasMore()));
    }
}
