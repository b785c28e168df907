package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptList;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptView;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryList;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryView;
import dev.ledgerflow.projections.projector.Sql;
import dev.ledgerflow.projections.webhook.DeliveryScheduler;
import dev.ledgerflow.projections.webhook.EventTypes;
import dev.ledgerflow.projections.webhook.WebhookDeliveries;
import dev.ledgerflow.projections.webhook.WebhookEndpoints;
import io.r2dbc.pool.ConnectionPool;
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
import reactor.core.publisher.Flux;
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

    private final ConnectionPool pool;
    private final WebhookDeliveries deliveries;
    private final WebhookEndpoints endpoints;
    private final DeliveryScheduler scheduler;

    WebhookAdminController(ConnectionPool pool, WebhookDeliveries deliveries, WebhookEndpoints endpoints,
            DeliveryScheduler scheduler) {
        this.pool = pool;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.scheduler = scheduler;
    }

    record EndpointQueue(String id, String merchant, String url, String status, long pending, long scheduled, long dead,
            long succeeded, long oldestDueAgeMs) {}

    record EndpointQueueList(List<EndpointQueue> data, boolean hasMore) {}

    record RetriedAll(String endpoint, long retried) {}

    @GetMapping(path = "/admin/webhooks/endpoints", produces = "application/json")
    Mono<EndpointQueueList> endpoints(Caller.Admin admin) {
        return Sql.query(pool, "select e.id, e.merchant_id, e.url, e.status,"
                        + " count(d.id) filter (where d.status = 'pending') as pending,"
                        + " count(d.id) filter (where d.status = 'failed') as scheduled,"
                        + " count(d.id) filter (where d.status = 'dead') as dead,"
                        + " count(d.id) filter (where d.status = 'succeeded') as succeeded,"
                        + " coalesce(extract(epoch from now() - min(d.next_attempt_at) filter (where d.status in ('pending', 'failed')"
                        + "   and d.next_attempt_at <= now())) * 1000, 0)::bigint as oldest_ms"
                        + " from webhook_endpoints e left join webhook_deliveries d on d.endpoint_id = e.id"
                        + " group by e.id order by count(d.id) filter (where d.status = 'dead') desc, e.created_at desc limit 500",
                        s -> s,
                        row -> new EndpointQueue(row.get("id", String.class), row.get("merchant_id", String.class),
                                row.get("url", String.class), row.get("status", String.class), row.get("pending", Long.class),
                                row.get("scheduled", Long.class), row.get("dead", Long.class), row.get("succeeded", Long.class),
                                Math.max(0, row.get("oldest_ms", Long.class))))
                .collectList()
                .map(all -> new EndpointQueueList(all, false));
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
                        .thenMany(Sql.query(pool, "select id from webhook_deliveries where endpoint_id = $1 and status = 'dead'"
                                        + " order by seq limit " + RETRY_ALL_MAX,
                                s -> s.bind("$1", id), row -> row.get("id", String.class)))
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
        return one("select merchant_id from webhook_endpoints where id = $1", id, "webhook endpoint");
    }

    private Mono<String> merchantOfDelivery(String id) {
        return one("select merchant_id from webhook_deliveries where id = $1", id, "webhook delivery");
    }

    private Mono<String> one(String sql, String id, String what) {
        return Flux.defer(() -> Sql.query(pool, sql, s -> s.bind("$1", id), row -> row.get("merchant_id", String.class)))
                .next()
                .switchIfEmpty(Mono.error(() -> ApiException.notFound(what)));
    }
}
