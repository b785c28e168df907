package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Authenticates {@code GET} of an event stream by {@code ?token=} (see {@link StreamTokens}) when no
 * {@code Authorization} header is sent: the caller is then the token's merchant, for the streams the
 * token allows. Runs before {@link ApiKeyAuthentication}, which lets such a request pass.
 */
@Component
@Order(-101)
class StreamTokenAuthentication implements WebFilter {

    private final StreamTokens tokens;

    StreamTokenAuthentication(StreamTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        var request = exchange.getRequest();
        String token = request.getQueryParams().getFirst("token");
        String path = request.getPath().pathWithinApplication().value();
        if (token == null || request.getMethod() != HttpMethod.GET || !isStream(path)
                || request.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)) {
            return chain.filter(exchange);
        }
        var grant = tokens.verify(token);
        if (grant.isEmpty()) {
            return Mono.error(new ApiException(ApiError.UNAUTHENTICATED, "The stream token is invalid or expired."));
        }
        if (!grant.get().allows(path)) {
            return Mono.error(new ApiException(ApiError.UNAUTHENTICATED, "The stream token does not grant this stream."));
        }
        ApiKeyAuthentication.identify(exchange, new Caller.Merchant(grant.get().merchantId()));
        return chain.filter(exchange);
    }

    private static boolean isStream(String path) {
        return path.equals("/v1/events/stream") || (path.startsWith("/v1/payments/") && path.endsWith("/stream"));
    }
}
