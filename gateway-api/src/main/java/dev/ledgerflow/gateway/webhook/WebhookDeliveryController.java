package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptList;
import dev.ledgerflow.gateway.webhook.WebhookViews.AttemptView;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryList;
import dev.ledgerflow.gateway.webhook.WebhookViews.DeliveryView;
import dev.ledgerflow.gateway.webhook.WebhookViews.QueueView;
import dev.ledgerflow.delivery.webhook.DeliveryScheduler;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import dev.ledgerflow.delivery.webhook.WebhookQueue;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/webhook-deliveries}: every delivery of an event to an endpoint, its attempt log, and
 * manual retries; {@code /admin/webhooks/queue} for operators.
 */
@RestController
@Tag(name = "Webhooks")
class WebhookDeliveryController {

    private static final Duration REDIS_WAIT = Duration.ofSeconds(2);

    private final WebhookDeliveries deliveries;
    private final WebhookEndpoints endpoints;
    private final WebhookQueue queue;
    private final DeliveryScheduler scheduler;

    WebhookDeliveryController(WebhookDeliveries deliveries, WebhookEndpoints endpoints, WebhookQueue queue,
            DeliveryScheduler scheduler) {
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.queue = queue;
        this.scheduler = scheduler;
    }

    @GetMapping(path = "/v1/webhook-deliveries", produces = "application/json")
    Mono<DeliveryList> list(Caller.Merchant merchant, @RequestParam(required = false) String endpoint,
            @RequestParam(required = false) String status, @RequestParam(required = false) Integer limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter) {
        int pageSize = WebhookRequests.limit(limit);
        return deliveries.list(merchant.merchantId(), endpoint, WebhookRequests.deliveryStatus(status), pageSize + 1, startingAfter)
                .map(DeliveryView::of)
                .collectList()
                .map(page -> new DeliveryList(page.subList(0, Math.min(pageSize, page.size())), page.size() > pageSize));
    }

    @GetMapping(path = "/v1/webhook-deliveries/{id}", produces = "application/json")
    Mono<DeliveryView> get(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id).map(DeliveryView::of);
    }

    @GetMapping(path = "/v1/webhook-deliveries/{id}/attempts", produces = "application/json")
    Mono<AttemptList> attempts(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id).then(deliveries.attempts(merchant.merchantId(), id).map(AttemptView::of).collectList())
                .map(attempts -> new AttemptList(attempts, false));
    }

    /** Puts a finished delivery back in the queue, due now, with a fresh retry schedule. */
    @PostMapping(path = "/v1/webhook-deliveries/{id}/retry", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<DeliveryView> retry(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id)
                .flatMap(delivery -> endpoints.find(merchant.merchantId(), delivery.endpointId())
                        .filter(WebhookEndpoints.Endpoint::enabled)
                        .switchIfEmpty(Mono.error(new ApiException(ApiError.INVALID_STATE,
                                "The delivery's endpoint is disabled or deleted; enable it before retrying.")))
                        .then(deliveries.retry(merchant.merchantId(), id))
                        .switchIfEmpty(Mono.error(new ApiException(ApiError.INVALID_STATE,
                                "The delivery is pending or being attempted right now; it needs no retry."))))
                .doOnNext(retried -> scheduler.poke())
                .map(DeliveryView::of);
    }

    @GetMapping(path = "/admin/webhooks/queue", produces = "application/json")
    Mono<QueueView> queue(Caller.Admin admin) {
        return Mono.zip(
                        deliveries.stats(),
                        queue.state().timeout(REDIS_WAIT).map(java.util.Optional::of)
                                .onErrorResume(error -> Mono.just(java.util.Optional.empty())))
                .map(both -> {
                    var stats = both.getT1();
                    var state = both.getT2();
                    return new QueueView(queue.key(), state.isPresent(),
                            state.map(WebhookQueue.State::groupExists).orElse(null),
                            state.map(WebhookQueue.State::length).orElse(null),
                            state.map(WebhookQueue.State::inFlight).orElse(null),
                            state.map(WebhookQueue.State::consumers).orElse(null),
                            stats.pending(), stats.scheduledRetries(), stats.dead(), stats.due(), stats.oldestDueAge().toMillis());
                });
    }

    private Mono<WebhookDeliveries.Delivery> own(Caller.Merchant merchant, String id) {
        if (!Requests.isId(id, "wd_")) {
            return Mono.error(ApiException.notFound("webhook delivery"));
        }
        return deliveries.find(merchant.merchantId(), id).switchIfEmpty(Mono.error(ApiException.notFound("webhook delivery")));
    }
}
