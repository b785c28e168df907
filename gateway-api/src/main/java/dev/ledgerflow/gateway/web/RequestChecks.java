package dev.ledgerflow.gateway.web;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * What is wrong with a request before its body is read, whatever its endpoint: a header name that is
 * not an HTTP token or a header value with a control character (CR or LF would be header injection),
 * a JSON body said to be in a charset other than UTF-8 (415), a header that must be
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
        ApiException badHeader = badHeader(request);
        if (badHeader != null) {
            return Mono.error(badHeader);
        }
        MediaType contentType;
        try {
            contentType = headers.getContentType();
        } catch (InvalidMediaTypeException e) {
            return Mono.error(new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "The Content-Type cannot be read: " + e.getMessage()));
        }
        if (contentType != null && contentType.getParameter("charset") != null
                && !"utf-8".equalsIgnoreCase(contentType.getParameter("charset").replace("\"", ""))) {
            // RFC 8259: JSON exchanged between systems is UTF-8; a body said to be in another charset is not what we read.
            return Mono.error(new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json in UTF-8."));
        }
        String path = request.getPath().pathWithinApplication().value();
        if (path.indexOf('\0') >= 0 || containsEncodedNul(request.getURI().getRawPath())) {
            return Mono.error(new ApiException(ApiError.NOT_FOUND, "No such resource."));
        }
        if (request.getURI().getRawQuery() == null) {
            return chain.filter(exchange);
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

    /**
     * The first header that is sent twice but must be sent once, whose name is not a token, or whose value
     * holds a control character or a text the database cannot store; null when all are fine. One pass over
     * the server's own header entries: Spring's {@code HttpHeaders} builds a case-insensitive copy of every
     * header to iterate them, and a list per looked-up name (most of this filter's 13 µs a request, profiled).
     */
    private static ApiException badHeader(ServerHttpRequest request) {
        Iterator<Map.Entry<CharSequence, CharSequence>> entries = headerEntries(request);
        int[] seen = new int[SINGLE_HEADERS.size()];
        while (entries.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = entries.next();
            String name = header.getKey().toString();
            if (!isToken(name)) {
                return new ApiException(ApiError.INVALID_REQUEST,
                        "A header name holds characters HTTP does not allow in one (RFC 9110 token).");
            }
            for (int i = 0; i < seen.length; i++) {
                if (SINGLE_HEADERS.get(i).equalsIgnoreCase(name) && ++seen[i] > 1) {
                    String single = SINGLE_HEADERS.get(i);
                    return ApiException.field(ApiError.INVALID_REQUEST, single, single + " is sent more than once; send it once.");
                }
            }
            String value = header.getValue() == null ? null : header.getValue().toString();
            if (value != null && hasControl(value)) {
                return ApiException.field(ApiError.INVALID_REQUEST, name, "Header " + name + " holds a control character.");
            }
            String unstorable = value == null ? null : Requests.unstorable(value);
            if (unstorable != null) {
                return ApiException.field(ApiError.INVALID_REQUEST, name, "Header " + name + " " + unstorable + ".");
            }
        }
        return null;
    }

    /** Each header line as received: Reactor Netty's own headers, or Spring's view of another server's. */
    private static Iterator<Map.Entry<CharSequence, CharSequence>> headerEntries(ServerHttpRequest request) {
        if (ServerHttpRequestDecorator.getNativeRequest(request) instanceof HttpServerRequest netty) {
            return netty.requestHeaders().iteratorCharSequence();
        }
        List<Map.Entry<CharSequence, CharSequence>> entries = new ArrayList<>();
        request.getHeaders().forEach((name, values) -> values.forEach(value -> entries.add(Map.entry(name, value == null ? "" : value))));
        return entries.iterator();
    }

    /** RFC 9110 {@code token}: what a header name is made of. */
    private static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** A control character other than a tab: what a header value must not hold (CR and LF would split it). */
    private static boolean hasControl(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsEncodedNul(String rawPath) {
        return rawPath != null && (rawPath.contains("%00"));
    }
}
