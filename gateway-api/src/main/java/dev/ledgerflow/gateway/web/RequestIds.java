package dev.ledgerflow.gateway.web;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import reactor.core.publisher.Mono;

/**
 * Every request has an id: the caller's {@code Request-Id} when it is well formed (1 to 128 letters,
 * digits, {@code . _ : -}), else a new one. It is sent back as {@code Request-Id} on every answer
 * (problems and overload answers included: this filter runs first), kept in the Reactor context for
 * the command path, which stores it in the events' metadata ({@code request_id}), and written in the
 * access log, one line per request: method, route template, status, duration, merchant and id.
 */
@Component
@Order(-400)
public class RequestIds implements WebFilter {

    /** The header, in and out. */
    public static final String HEADER = "Request-Id";
    /** Where the id is in the Reactor context of a request. */
    public static final String CONTEXT_KEY = "ledgerflow.request-id";
    /**
     * The exchange attribute that names the caller in the access log (the merchant's id, or {@code admin}),
     * set by authentication: a plain name, so that this layer below the features needs none of them.
     */
    public static final String CALLER_NAME = "ledgerflow.caller-name";

    private static final Logger access = LoggerFactory.getLogger("ledgerflow.access");
    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String given = exchange.getRequest().getHeaders().getFirst(HEADER);
        String id = given != null && WELL_FORMED.matcher(given).matches() ? given : newId();
        exchange.getResponse().getHeaders().set(HEADER, id);
        if (!access.isInfoEnabled()) {
            return chain.filter(exchange).contextWrite(context -> context.put(CONTEXT_KEY, id));
        }
        long started = System.nanoTime();
        return chain.filter(exchange)
                .doFinally(signal -> access.info("{} {} {} {} ms merchant={} request_id={}", exchange.getRequest().getMethod(),
                        route(exchange), status(exchange), (System.nanoTime() - started) / 1_000_000, merchant(exchange), id))
                .contextWrite(context -> context.put(CONTEXT_KEY, id));
    }

    /**
     * 96 random bits: unique, not secret (the id is sent back to the caller and written in logs), so a
     * thread-local generator, not {@code SecureRandom} (whose shared source is read under a lock).
     */
    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        HexFormat hex = HexFormat.of();
        return "req_" + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextInt());
    }

    /** The route's template ({@code /v1/payments/{id}}), never the ids in the path; the path when no route matched. */
    private static String route(ServerWebExchange exchange) {
        Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        return pattern instanceof PathPattern path ? path.getPatternString() : "(no route)";
    }

    private static String status(ServerWebExchange exchange) {
        var status = exchange.getResponse().getStatusCode();
        return status == null ? "-" : Integer.toString(status.value());
    }

    private static String merchant(ServerWebExchange exchange) {
        String caller = exchange.getAttribute(CALLER_NAME);
        return caller == null ? "-" : caller;
    }
}
