package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptList;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptView;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryList;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryView;
import dev.ledgerflow.delivery.webhook.DeliveryScheduler;
import dev.ledgerflow.delivery.webhook.EventTypes;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The webhook queue for operators, across merchants: per endpoint its pending, scheduled (failed,
 * waiting for their next attempt) and dead deliveries and the age of the oldest one due; an endpoint's
 * deliveries with their attempts; retry of one dead delivery or all of an endpoint's; a replay from a
 * position. Retries and replays take the same paths as a merchant's.
 */
@RestController
@Tag(name = "Operations")
class WebhookAdminController {

    static final int RETRY_ALL_MAX = 10_000;

    private final WebhookAdminQueries queries;
    private final WebhookDeliveries deliveries;
    private final WebhookEndpoints endpoints;
    private final DeliveryScheduler scheduler;

    WebhookAdminController(WebhookAdminQueries queries, WebhookDeliveries deliveries, WebhookEndpoints endpoints,
            DeliveryScheduler scheduler) {
        this.queries = queries;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.scheduler = scheduler;
    }

    record EndpointQueueList(List<WebhookAdminQueries.EndpointQueue> data, boolean hasMore) {}

    record RetriedAll(String endpoint, long retried) {}

    @GetMapping(path = "/admin/webhooks/endpoints", produces = "application/json")
    Mono<EndpointQueueList> endpoints(Caller.Admin admin) {
        return queries.endpoints().collectList().map(all -> new EndpointQueueList(all, false));
    }

    @GetMapping(path = "/admin/webhooks/endpoints/{id}/deliveries", produces = "application/json")
    Mono<DeliveryList> deliveries(Caller.Admin admin, @PathVariable String id, @RequestParam(required = false) String status,
            @RequestParam(required = false) Integer limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter) {
        int pageSize = WebhookRequests.limit(limit);
        String statusFilter = WebhookRequests.deliveryStatus(status);
        return merchantOfEndpoint(id)
                .flatMapMany(merchant -> deliveries.list(merchant, id, statusFilter, pageSize + 1, startingAfter))
                .map(DeliveryView::of)
                .collectList()
                .map(page -> new DeliveryList(page.subList(0, Math.min(pageSize, page.size())), page.size() > pageSize));
    }

    @GetMapping(path = "/admin/webhooks/deliveries/{id}/attempts", produces = "application/json")
    Mono<AttemptList> attempts(Caller.Admin admin, @PathVariable String id) {
        return merchantOfDelivery(id)
                .flatMap(merchant -> deliveries.attempts(merchant, id).map(AttemptView::of).collectList())
                .map(attempts -> new AttemptList(attempts, false));
    }

    @PostMapping(path = "/admin/webhooks/deliveries/{id}/retry", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<DeliveryView> retry(Caller.Admin admin, @PathVariable String id) {
        return merchantOfDelivery(id)
                .flatMap(merchant -> deliveries.find(merchant, id)
                        .flatMap(delivery -> enabled(merchant, delivery.endpointId()).then(deliveries.retry(merchant, id)))
                        .switchIfEmpty(Mono.error(new ApiException(ApiError.INVALID_STATE,
                                "The delivery is pending or being attempted right now; it needs no retry."))))
                .doOnNext(retried -> scheduler.poke())
                .map(DeliveryView::of);
    }

    /** Puts every dead delivery of the endpoint back in the queue. */
    @PostMapping(path = "/admin/webhooks/endpoints/{id}/retry-dead", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<RetriedAll> retryDead(Caller.Admin admin, @PathVariable String id) {
        return merchantOfEndpoint(id)
                .flatMap(merchant -> enabled(merchant, id)
                        .thenMany(queries.deadDeliveryIds(id, RETRY_ALL_MAX))
                        .concatMap(delivery -> deliveries.retry(merchant, delivery))
                        .count())
                .doOnNext(retried -> scheduler.poke())
                .map(retried -> new RetriedAll(id, retried));
    }

    /** Sends the endpoint's merchant's events after a position to it again (as its merchant's replay does). */
    @PostMapping(path = "/admin/webhooks/endpoints/{id}/replay", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<WebhookViews.ReplayStarted> replay(Caller.Admin admin, @PathVariable String id,
            @RequestBody WebhookRequests.ReplayRequest request) {
        long after = WebhookRequests.afterPosition(request);
        return merchantOfEndpoint(id)
                .flatMap(merchant -> endpoints.find(merchant, id)
                        .filter(WebhookEndpoints.Endpoint::enabled)
                        .switchIfEmpty(Mono.error(new ApiException(ApiError.INVALID_STATE,
                                "The endpoint is disabled; it must be enabled (by its merchant) before a replay.")))
                        .flatMap(endpoint -> deliveries.replay(merchant, id, EventTypes.selected(endpoint.events()), after)))
                .doOnNext(count -> scheduler.poke())
                .map(count -> new WebhookViews.ReplayStarted(id, after, count));
    }

    private Mono<Void> enabled(String merchant, String endpointId) {
        return endpoints.find(merchant, endpointId)
                .filter(WebhookEndpoints.Endpoint::enabled)
                .switchIfEmpty(Mono.error(new ApiException(ApiError.INVALID_STATE,
                        "The endpoint is disabled or deleted; it must be enabled (by its merchant) before retrying.")))
                .then();
    }

    private Mono<String> merchantOfEndpoint(String id) {
        return queries.merchantOfEndpoint(id).switchIfEmpty(Mono.error(() -> ApiException.notFound("webhook endpoint")));
    }

    private Mono<String> merchantOfDelivery(String id) {
        return queries.merchantOfDelivery(id).switchIfEmpty(Mono.error(() -> ApiException.notFound("webhook delivery")));
    }
}
