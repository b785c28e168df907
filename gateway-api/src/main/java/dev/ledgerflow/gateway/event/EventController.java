package dev.ledgerflow.gateway.event;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.stream.EventStreams;
import dev.ledgerflow.gateway.web.QueryParameters;
import dev.ledgerflow.projections.Slice;
import dev.ledgerflow.projections.event.MerchantEvents;
import dev.ledgerflow.projections.logchain.LogChain;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/events?after=}: the merchant's events in log order, after a global position. Page on
 * by passing the last event's {@code position} as {@code after}. Each event carries its {@code hash} in the
 * log's hash chain and the {@code previous_hash} it was chained on.
 */
@RestController
@Tag(name = "Events")
class EventController {

    private static final Set<String> PARAMETERS = Set.of("after", "type", "limit");

    private final EventStore store;
    private final MerchantEvents events;
    private final LogChain chain;

    EventController(EventStore store, MerchantEvents events, LogChain chain) {
        this.store = store;
        this.events = events;
        this.chain = chain;
    }

    /**
     * The event object with its place in the log's hash chain (docs/tamper-evident-log.md).
     *
     * @param hash sha256(previous_hash || the event's canonical bytes), hex
     * @param previousHash the hash of the event before it in the global log (another merchant's, often)
     */
    record ChainedEvent(String id, long position, String type, Instant createdAt, JsonNode data, String hash,
            String previousHash) {

        static ChainedEvent of(PublicEvent event, LogChain.Link link) {
            return new ChainedEvent(event.id(), event.position(), event.type(), event.createdAt(), event.data(),
                    link == null ? null : link.hash(), link == null ? null : link.previousHash());
        }
    }

    record EventList(List<ChainedEvent> data, boolean hasMore) {}

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
                .flatMap(slice -> chain.links(slice.items().stream().map(RecordedEvent::position).toList())
                        .map(links -> new EventList(slice.items().stream()
                                .map(event -> ChainedEvent.of(PublicEvent.of(event), links.get(event.position())))
                                .toList(), slice.hasMore())));
    }
}
