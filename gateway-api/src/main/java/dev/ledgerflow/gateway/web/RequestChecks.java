package dev.ledgerflow.gateway.web;

import java.util.List;
import java.util.Map;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * What is wrong with a request before its body is read, whatever its endpoint: a header that must be
 * sent once sent twice (two {@code Authorization} headers: which key would win is undefined; two
 * {@code Idempotency-Key}s: which one protects the write?), and a text the database cannot store in
 * the path (no resource has such a name: 404), a query parameter or a header (400). Texts in the body
 * are checked as it is read ({@link StorableText}).
 */
@Component
@Order(-250)
class RequestChecks implements WebFilter {

    /** Headers whose second value would be ambiguous, and are therefore refused. */
    static final List<String> SINGLE_HEADERS = List.of(HttpHeaders.AUTHORIZATION, "Idempotency-Key", HttpHeaders.CONTENT_TYPE,
            "Ledger-Min-Position", "Last-Event-ID");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        var request = exchange.getRequest();
        HttpHeaders headers = request.getHeaders();
        for (String name : SINGLE_HEADERS) {
            List<String> values = headers.get(name);
            if (values != null && values.size() > 1) {
                return Mono.error(ApiException.field(ApiError.INVALID_REQUEST, name, name + " is sent more than once; send it once."));
            }
        }
        for (Map.Entry<String, List<String>> header : headers.headerSet()) {
            for (String value : header.getValue()) {
                if (value != null && Requests.unstorable(value) != null) {
                    return Mono.error(ApiException.field(ApiError.INVALID_REQUEST, header.getKey(),
                            "Header " + header.getKey() + " " + Requests.unstorable(value) + "."));
                }
            }
        }
        String path = request.getPath().pathWithinApplication().value();
        if (path.indexOf('\0') >= 0 || containsEncodedNul(request.getURI().getRawPath())) {
            return Mono.error(new ApiException(ApiError.NOT_FOUND, "No such resource."));
        }
        for (Map.Entry<String, List<String>> parameter : request.getQueryParams().entrySet()) {
            String problem = Requests.unstorable(parameter.getKey());
            for (String value : parameter.getValue()) {
                if (problem == null && value != null) {
                    problem = Requests.unstorable(value);
                }
            }
            if (problem != null) {
                return Mono.error(ApiException.field(ApiError.INVALID_REQUEST, parameter.getKey(),
                        "Parameter " + parameter.getKey() + " " + problem + "."));
            }
        }
        return chain.filter(exchange);
    }

    private static boolean containsEncodedNul(String rawPath) {
        return rawPath != null && (rawPath.contains("%00"));
    }
}
