package dev.ledgerflow.gateway.admin;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.projections.invariant.InvariantCheck;
import dev.ledgerflow.projections.projector.Projections;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Operators' view of everything that reads the feed ({@code GET /admin/projections}), rebuilds of a
 * projection ({@code POST /admin/projections/{name}/rebuild}) and the ledger's invariants
 * ({@code GET /admin/invariants}).
 */
@RestController
@Tag(name = "Operations")
class ProjectionAdminController {

    private final FeedReaders readers;
    private final Projections projections;
    private final InvariantCheck invariants;

    ProjectionAdminController(FeedReaders readers, Projections projections, InvariantCheck invariants) {
        this.readers = readers;
        this.projections = projections;
        this.invariants = invariants;
    }

    record FeedReaderList(List<FeedReaders.FeedReader> data) {}

    record RebuildAccepted(String projection, int generation, String status, boolean alreadyRunning) {}

    @GetMapping(path = "/admin/projections", produces = "application/json")
    Mono<FeedReaderList> list(Caller.Admin admin) {
        return readers.all().collectList().map(FeedReaderList::new);
    }

    @PostMapping(path = "/admin/projections/{name}/rebuild", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<RebuildAccepted> rebuild(Caller.Admin admin, @PathVariable String name) {
        if (!projections.names().contains(name)) {
            if (readers.consumerNames().contains(name)) {
                return Mono.error(new ApiException(ApiError.INVALID_STATE, name
                        + " is a feed consumer, not a projection: it keeps no read model to rebuild."));
            }
            return Mono.error(new ApiException(ApiError.NOT_FOUND, "No projection " + name + "; projections: "
                    + String.join(", ", projections.names()) + "."));
        }
        return projections.rebuild(name)
                .map(started -> new RebuildAccepted(started.projection(), started.generation(), "rebuilding",
                        started.alreadyRunning()));
    }

    @GetMapping(path = "/admin/invariants", produces = "application/json")
    Mono<InvariantCheck.Report> invariants(Caller.Admin admin) {
        return invariants.check();
    }
}
