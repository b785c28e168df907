package dev.ledgerflow.gateway.web;

import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a declared body over 64 KiB before reading it; a chunked body over the limit is stopped by
 * the codecs' in-memory limit, which also answers 413.
 */
@Component
@Order(-200)
class BodySizeLimit implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long length = exchange.getRequest().getHeaders().getContentLength();
        if (length > WebConfiguration.BODY_BYTES_MAX) {
            return Mono.error(new ApiException(ApiError.PAYLOAD_TOO_LARGE, "The request body is larger than 64 KiB."));
        }
        return chain.filter(exchange);
    }
}
