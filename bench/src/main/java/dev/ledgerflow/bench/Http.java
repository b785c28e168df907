package dev.ledgerflow.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** A non-blocking HTTP client with a fixed number of connections: the load generator's connections. */
final class Http {

    /**
     * An answer; {@code position} ({@code Ledger-Position}) and {@code requestId} ({@code Request-Id})
     * are null when the service did not send them.
     */
    record Response(int status, String body, String position, String requestId) {

        Response(int status, String body) {
            this(status, body, null, null);
        }

        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final java.util.List<HttpClient> clients;
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    Http(String baseUrl, int connections) {
        this(java.util.List.of(baseUrl), connections);
    }

    /** Requests spread round robin over several instances of the service, {@code connections} to each. */
    Http(java.util.List<String> baseUrls, int connections) {
        ConnectionProvider pool = ConnectionProvider.builder("bench-" + connections)
                .maxConnections(connections)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(Duration.ofMinutes(5))
                .build();
        this.clients = baseUrls.stream()
                .map(baseUrl -> HttpClient.create(pool).baseUrl(baseUrl).keepAlive(true).responseTimeout(Duration.ofSeconds(30)))
                .toList();
    }

    private HttpClient client() {
        return clients.get(Math.floorMod(next.getAndIncrement(), clients.size()));
    }

    Mono<Response> post(String path, String bearer, String json, String idempotencyKey) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return client().headers(h -> {
                    h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer);
                    h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    h.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                    if (idempotencyKey != null) {
                        h.set("Idempotency-Key", idempotencyKey);
                    }
                })
                .post()
                .uri(path)
                .send(ByteBufFlux.fromString(Mono.just(json)))
                .responseSingle((response, bytes) -> bytes.asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .map(text -> new Response(response.status().code(), text,
                                response.responseHeaders().get("Ledger-Position"), response.responseHeaders().get("Request-Id"))));
    }

    Mono<Response> get(String path, String bearer) {
        return client().headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer))
                .get()
                .uri(path)
                .responseSingle((response, bytes) -> bytes.asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .map(text -> new Response(response.status().code(), text)));
    }

    Mono<Response> delete(String path, String bearer) {
        return client().headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer))
                .delete()
                .uri(path)
                .responseSingle((response, bytes) -> bytes.asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .map(text -> new Response(response.status().code(), text)));
    }
}
