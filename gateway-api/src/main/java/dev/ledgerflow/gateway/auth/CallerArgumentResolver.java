package dev.ledgerflow.gateway.auth;

import dev.ledgerflow.gateway.web.ApiError;
import dev.ledgerflow.gateway.web.ApiException;
import org.springframework.core.MethodParameter;
import org.springframework.web.reactive.BindingContext;
import org.springframework.web.reactive.result.method.HandlerMethodArgumentResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Hands a handler the authenticated {@link Caller.Merchant} or {@link Caller.Admin}. */
@org.springframework.stereotype.Component
class CallerArgumentResolver implements HandlerMethodArgumentResolver {

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return Caller.class.isAssignableFrom(parameter.getParameterType());
    }

    @Override
    public Mono<Object> resolveArgument(MethodParameter parameter, BindingContext context, ServerWebExchange exchange) {
        Object caller = exchange.getAttribute(ApiKeyAuthentication.CALLER);
        if (caller == null || !parameter.getParameterType().isInstance(caller)) {
            return Mono.error(new ApiException(ApiError.UNAUTHENTICATED, "Missing or invalid API key."));
        }
        return Mono.just(caller);
    }
}
