package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.auth.Caller;
import dev.ledgerflow.gateway.command.Commands;
import dev.ledgerflow.gateway.config.LedgerflowProperties;
import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.Requests;
import dev.ledgerflow.gateway.webhook.WebhookRequests.CreateEndpointRequest;
import dev.ledgerflow.gateway.webhook.WebhookRequests.ReplayRequest;
import dev.ledgerflow.gateway.webhook.WebhookRequests.UpdateEndpointRequest;
import dev.ledgerflow.gateway.webhook.WebhookViews.EndpointCreated;
import dev.ledgerflow.gateway.webhook.WebhookViews.EndpointDeleted;
import dev.ledgerflow.gateway.webhook.WebhookViews.EndpointList;
import dev.ledgerflow.gateway.webhook.WebhookViews.EndpointView;
import dev.ledgerflow.gateway.webhook.WebhookViews.ReplayStarted;
import dev.ledgerflow.gateway.webhook.WebhookViews.SecretRotated;
import dev.ledgerflow.delivery.webhook.DeliveryScheduler;
import dev.ledgerflow.delivery.webhook.DestinationGuard;
import dev.ledgerflow.delivery.webhook.EventTypes;
import dev.ledgerflow.delivery.webhook.WebhookDeliveries;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import dev.ledgerflow.delivery.webhook.WebhookSettings;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/webhook-endpoints}: a merchant's endpoints, their secrets, and replays to one of them.
 * Another merchant's endpoint answers 404.
 */
@RestController
@Tag(name = "Webhooks")
class WebhookEndpointController {

    private final WebhookEndpoints endpoints;
    private final WebhookDeliveries deliveries;
    private final DeliveryScheduler scheduler;
    private final DestinationGuard guard;
    private final WebhookSettings settings;
    private final LedgerflowProperties properties;
    private final Clock clock;

    WebhookEndpointController(WebhookEndpoints endpoints, WebhookDeliveries deliveries, DeliveryScheduler scheduler,
            DestinationGuard guard, WebhookSettings settings, LedgerflowProperties properties, Clock clock) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.scheduler = scheduler;
        this.guard = guard;
        this.settings = settings;
        this.properties = properties;
        this.clock = clock;
    }

    /** Creates an endpoint; with an {@code Idempotency-Key}, a retried request answers the first response again. */
    @PostMapping(path = "/v1/webhook-endpoints", consumes = "application/json", produces = "application/json")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = EndpointCreated.class)))
    Mono<ResponseEntity<byte[]>> create(Caller.Merchant merchant, @RequestBody CreateEndpointRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) Optional<String> idempotencyKey) {
        List<String> events = WebhookRequests.events(request.events());
        String description = WebhookRequests.description(request.description());
        Optional<WebhookEndpoints.IdempotencyKey> key = idempotencyKey.map(value -> new WebhookEndpoints.IdempotencyKey(
                WebhookRequests.idempotencyKey(value),
                WebhookRequests.fingerprint(Commands.fingerprintSource("POST", "/v1/webhook-endpoints", request)),
                HttpStatus.CREATED.value(), properties.idempotencyTtl()));
        return WebhookRequests.url(request.url(), guard).flatMap(url -> key.isEmpty()
                ? endpoints.create(merchant.merchantId(), url, events, description, clock.instant())
                        .map(endpoint -> created(Commands.json(EndpointCreated.of(endpoint))))
                : endpoints.create(merchant.merchantId(), url, events, description, clock.instant(), key.get(),
                                endpoint -> Commands.json(EndpointCreated.of(endpoint)))
                        .map(creation -> switch (creation) {
                            case WebhookEndpoints.Creation.Created done -> created(done.responseBody());
                            case WebhookEndpoints.Creation.Stored stored -> replay(stored, key.get());
                        }));
    }

    private static ResponseEntity<byte[]> created(String body) {
        return ResponseEntity.status(HttpStatus.CREATED).contentType(MediaType.APPLICATION_JSON)
                .body(body.getBytes(StandardCharsets.UTF_8));
    }

    private static ResponseEntity<byte[]> replay(WebhookEndpoints.Creation.Stored stored, WebhookEndpoints.IdempotencyKey key) {
        if (!stored.fingerprint().equals(key.fingerprint())) {
            throw new ApiException(ApiError.IDEMPOTENCY_KEY_REUSE, "This Idempotency-Key was used with a different request.");
        }
        return ResponseEntity.status(stored.status()).contentType(MediaType.APPLICATION_JSON)
                .body(stored.responseBody().getBytes(StandardCharsets.UTF_8));
    }

    @GetMapping(path = "/v1/webhook-endpoints", produces = "application/json")
    Mono<EndpointList> list(Caller.Merchant merchant, @RequestParam(required = false) Integer limit,
            @RequestParam(name = "starting_after", required = false) String startingAfter) {
        int pageSize = WebhookRequests.limit(limit);
        return endpoints.list(merchant.merchantId(), pageSize + 1, startingAfter)
                .map(EndpointView::of)
                .collectList()
                .map(page -> new EndpointList(page.subList(0, Math.min(pageSize, page.size())), page.size() > pageSize));
    }

    @GetMapping(path = "/v1/webhook-endpoints/{id}", produces = "application/json")
    Mono<EndpointView> get(Caller.Merchant merchant, @PathVariable String id) {
        return own(merchant, id).map(EndpointView::of);
    }

    @PatchMapping(path = "/v1/webhook-endpoints/{id}", consumes = "application/json", produces = "application/json")
    Mono<EndpointView> update(Caller.Merchant merchant, @PathVariable String id, @RequestBody UpdateEndpointRequest request) {
        Requests.id(id, "we_", "webhook endpoint");
        List<String> events = request.events() == null ? null : WebhookRequests.events(request.events());
        String description = WebhookRequests.description(request.description());
        String status = WebhookRequests.endpointStatus(request.status());
        Mono<String> url = request.url() == null ? Mono.just("") : WebhookRequests.url(request.url(), guard);
        return own(merchant, id)
                .then(url)
                .flatMap(checked -> endpoints.update(merchant.merchantId(), id, new WebhookEndpoints.Changes(
                        checked.isEmpty() ? null : checked, events, description, status)))
                .switchIfEmpty(Mono.error(ApiException.notFound("webhook endpoint")))
                .map(EndpointView::of);
    }

    @DeleteMapping(path = "/v1/webhook-endpoints/{id}", produces = "application/json")
    Mono<EndpointDeleted> delete(Caller.Merchant merchant, @PathVariable String id) {
        Requests.id(id, "we_", "webhook endpoint");
        return endpoints.delete(merchant.merchantId(), id)
                .filter(Boolean::booleanValue)
                .switchIfEmpty(Mono.error(ApiException.notFound("webhook endpoint")))
                .map(deleted -> new EndpointDeleted(id, true));
    }

    @PostMapping(path = "/v1/webhook-endpoints/{id}/rotate-secret", produces = "application/json")
    Mono<SecretRotated> rotateSecret(Caller.Merchant merchant, @PathVariable String id) {
        Requests.id(id, "we_", "webhook endpoint");
        return endpoints.rotateSecret(merchant.merchantId(), id, settings.secretOverlap())
                .switchIfEmpty(Mono.error(ApiException.notFound("webhook endpoint")))
                .map(endpoint -> new SecretRotated(endpoint.id(), endpoint.secret(), endpoint.previousSecretExpiresAt()));
    }

    /** Sends the merchant's events after a position to this endpoint again, whether or not they were delivered. */
    @PostMapping(path = "/v1/webhook-endpoints/{id}/replay", consumes = "application/json", produces = "application/json")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<ReplayStarted> replay(Caller.Merchant merchant, @PathVariable String id, @RequestBody ReplayRequest request) {
        Requests.id(id, "we_", "webhook endpoint");
        long after = WebhookRequests.afterPosition(request);
        return own(merchant, id).flatMap(endpoint -> {
            if (!endpoint.enabled()) {
                return Mono.error(new ApiException(ApiError.INVALID_STATE, "The endpoint is disabled; enable it before a replay."));
            }
            return deliveries.replay(merchant.merchantId(), endpoint.id(), EventTypes.selected(endpoint.events()), after)
                    .doOnNext(count -> scheduler.poke())
                    .map(count -> new ReplayStarted(endpoint.id(), after, count));
        });
    }

    private Mono<WebhookEndpoints.Endpoint> own(Caller.Merchant merchant, String id) {
        if (!Requests.isId(id, "we_")) {
            return Mono.error(ApiException.notFound("webhook endpoint"));
        }
        return endpoints.find(merchant.merchantId(), id).switchIfEmpty(Mono.error(ApiException.notFound("webhook endpoint")));
    }
}
