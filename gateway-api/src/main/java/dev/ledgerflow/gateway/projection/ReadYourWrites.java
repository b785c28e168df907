package dev.ledgerflow.gateway.projection;

import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.projections.projector.Projections;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code Ledger-Min-Position: N} on a read of projections: waits (bounded) until the projections it
 * reads have applied the event at global position N, so that a client reads its own writes; answers
 * 503 {@code projection_behind} with {@code Retry-After} when they take longer.
 *
 * <p>Positions are compared in feed order: N is resolved to its place in the feed (txid, position)
 * first, because an event with a lower position can commit, and be applied, after one with a higher.
 */
@Component
public class ReadYourWrites {

    public static final String HEADER = "Ledger-Min-Position";

    private final EventStore store;
    private final Projections projections;
    private final LedgerflowProperties properties;

    ReadYourWrites(EventStore store, Projections projections, LedgerflowProperties properties) {
        this.store = store;
        this.projections = projections;
        this.properties = properties;
    }

    /** Completes once every named projection has reached the header's position (at once without the header). */
    public Mono<Void> await(Optional<String> header, String... projectionNames) {
        if (header.isEmpty()) {
            return Mono.empty();
        }
        long position = parse(header.get());
        if (position == 0) {
            return Mono.empty();
        }
        return store.logPositionOf(position)
                .flatMap(target -> projections.awaitApplied(List.of(projectionNames), target, properties.minPositionWaitMax()))
                .flatMap(reached -> reached
                        ? Mono.<Void>empty()
                        : Mono.error(new ApiException(ApiError.PROJECTION_BEHIND, "The read models have not reached position "
                                + position + " within " + properties.minPositionWaitMax().toMillis() + " ms; retry shortly.")));
    }

    private static long parse(String value) {
        try {
            long position = Long.parseLong(value.strip());
            if (position >= 0) {
                return position;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.field(ApiError.INVALID_REQUEST, HEADER, HEADER + " must be a non-negative integer (a global position).");
    }
}
