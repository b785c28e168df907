package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import dev.ledgerflow.gateway.web.RequestIds;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Authenticates {@code /v1/**} and {@code /admin/**} by bearer API key: the admin key may call
 * {@code /v1/merchants} and {@code /admin/**}; a merchant key everything else under {@code /v1} but a
 * hosted checkout's two keyless endpoints ({@link #publicCheckout}).
 * Anything else (no key, unknown key, a key on the wrong side) is 401.
 */
@Component
@Order(-100)
class ApiKeyAuthentication implements WebFilter {

    static final String CALLER = Caller.class.getName();
    private static final String HEALTH = "/actuator/health";
    private static final String HEALTH_STATUS = "/actuator/health/status";

    private final AdminKey adminKey;
    private final ApiKeyRepository apiKeys;

    ApiKeyAuthentication(AdminKey adminKey, ApiKeyRepository apiKeys) {
        this.adminKey = adminKey;
        this.apiKeys = apiKeys;
    }

    /** Who calls: for the routes ({@link CallerArgumentResolver}) and for the access log ({@link RequestIds#CALLER_NAME}). */
    static void identify(ServerWebExchange exchange, Caller caller) {
        exchange.getAttributes().put(CALLER, caller);
        exchange.getAttributes().put(RequestIds.CALLER_NAME, switch (caller) {
            case Caller.Merchant merchant -> merchant.merchantId();
            case Caller.Admin admin -> "admin";
        });
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        boolean adminPath = path.startsWith("/admin/") || path.equals("/admin")
                || path.equals("/v1/merchants") || path.startsWith("/v1/merchants/");
        boolean merchantPath = !adminPath && (path.startsWith("/v1/") || path.equals("/v1")) && !publicCheckout(path);
        if (!adminPath && !merchantPath) {
            boolean health = path.startsWith(HEALTH) && (path.length() == HEALTH.length() || path.charAt(HEALTH.length()) == '/');
            return health ? health(exchange, chain, path) : chain.filter(exchange);
        }
        if (merchantPath && exchange.getAttribute(CALLER) != null) {
            return chain.filter(exchange); // authenticated already, by a stream token (StreamTokenAuthentication)
        }
        String key = bearer(exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            return Mono.error(unauthenticated("Send the API key as 'Authorization: Bearer <key>'."));
        }
        if (adminPath) {
            if (!ApiKeys.constantTimeEquals(key, adminKey.value())) {
                return Mono.error(unauthenticated("This endpoint needs the admin key."));
            }
            identify(exchange, new Caller.Admin());
            return chain.filter(exchange);
        }
        if (!key.startsWith("sk_")) {
            return Mono.error(unauthenticated("Invalid API key."));
        }
        return apiKeys.merchantIdForKey(key).flatMap(merchant -> {
            if (merchant.isEmpty()) {
                return Mono.error(unauthenticated("Invalid API key."));
            }
            identify(exchange, new Caller.Merchant(merchant.get()));
            return chain.filter(exchange);
        });
    }

    /**
     * {@code /actuator/health}: with the admin key it answers every component with its details; an
     * anonymous caller is answered the {@code status} health group instead, the bare UP or DOWN (and may
     * call the probes' groups, {@code liveness} and {@code readiness}); anything else under it, or another
     * key, is 401. Spring Security is not on the classpath, so the actuator's own {@code when-authorized}
     * cannot see a caller: the groups of application.yaml do it instead.
     */
    private Mono<Void> health(ServerWebExchange exchange, WebFilterChain chain, String path) {
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            if (path.equals(HEALTH)) {
                return chain.filter(exchange.mutate().request(r -> r.path(HEALTH_STATUS)).build());
            }
            if (path.equals(HEALTH_STATUS) || path.equals(HEALTH + "/liveness") || path.equals(HEALTH + "/readiness")) {
                return chain.filter(exchange);
            }
        }
        String key = bearer(header);
        if (key == null) {
            return Mono.error(unauthenticated("Send the admin key as 'Authorization: Bearer <key>' for the health details."));
        }
        if (!ApiKeys.constantTimeEquals(key, adminKey.value())) {
            return Mono.error(unauthenticated("The health details need the admin key."));
        }
        return chain.filter(exchange);
    }

    /**
     * The two keyless endpoints of a hosted checkout ({@code /v1/checkout/sessions/{id}/public} and
     * {@code …/pay}): the session's unguessable id is their only credential, and they reach nothing else.
     */
    static boolean publicCheckout(String path) {
        if (!path.startsWith("/v1/checkout/sessions/cs_")) {
            return false;
        }
        String rest = path.substring("/v1/checkout/sessions/".length());
        int slash = rest.indexOf('/');
        return slash > 0 && rest.indexOf('/', slash + 1) < 0
                && (rest.endsWith("/public") || rest.endsWith("/pay"));
    }

    private static String bearer(String header) {
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = header.substring(7).strip();
        return key.isEmpty() ? null : key;
    }

    private static ApiException unauthenticated(String detail) {
        return new ApiException(ApiError.UNAUTHENTICATED, detail);
    }
}
