package dev.ledgerflow.delivery.webhook;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.resolver.NoopAddressResolverGroup;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;

/**
 * POSTs one signed webhook (reactor-netty, non-blocking) and reports what came of it. Redirects are
 * not followed (they are failures, per Standard Webhooks, and following one would skip the
 * destination check); the whole exchange is bounded by the request timeout; only the first KiB of
 * the answer is kept.
 *
 * <p>The request goes to the address {@link DestinationGuard#vet(URI)} checked, never to a fresh
 * lookup of the URL's host: the client is handed that resolved address and only the URL's path and
 * query, so it has no name to resolve. Its resolver is a no-op besides, so an unresolved address,
 * were one ever handed over, would fail to connect rather than be looked up. The URL's host still
 * names the other end: it is the {@code Host} header, the TLS SNI and the name the certificate is
 * verified against. Pooled connections are keyed by that name and the address (reactor-netty's pool
 * key holds both), so a connection opened for one host is never reused for another at the same
 * address, nor for the same host once it has moved.
 */
public final class WebhookSender implements AutoCloseable {

    static final int RESPONSE_EXCERPT_BYTES = 1024;
    static final String USER_AGENT = "Ledgerflow-Webhooks/1.0";

    private final ConnectionProvider connections;
    private final HttpClient plain;
    private final HttpClient secure;
    private final Duration requestTimeout;

    public WebhookSender(Duration requestTimeout) {
        this(requestTimeout, new X509Certificate[0]);
    }

    /** With TLS trusting only {@code trusted} (tests' self-signed receivers); none means the JDK's default trust. */
    WebhookSender(Duration requestTimeout, X509Certificate... trusted) {
        this.requestTimeout = requestTimeout;
        this.connections = ConnectionProvider.builder("ledgerflow-webhooks")
                .maxConnections(500)
                .pendingAcquireTimeout(requestTimeout)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        this.plain = HttpClient.create(connections)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                // reactor-netty's own retry after a reset connection rebuilds its target from the
                // address alone (over TLS it would check the certificate against the bare address);
                // post() retries such a connection itself, on the same destination.
                .disableRetry(true)
                .followRedirect(false)
                .responseTimeout(requestTimeout)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(requestTimeout.toMillis(), 10_000));
        // reactor-netty's secure() turns on HTTPS endpoint identification, with the address's host
        // string (the URL's host, see Destination.pinned) as SNI and as the name to verify.
        this.secure = trusted.length == 0
                ? plain.secure()
                : plain.secure(tls -> tls.sslContext(Http11SslContextSpec.forClient().configure(b -> b.trustManager(trusted))));
    }

    /**
     * Sends {@code body} with {@code headers} to the destination's address; never errors: a failure
     * is an {@link AttemptResult} without a status.
     */
    public Mono<AttemptResult> post(DestinationGuard.Destination destination, Map<String, String> headers, byte[] body,
            Instant startedAt) {
        long started = System.nanoTime();
        URI url = destination.url();
        // Path and query only: reactor-netty then connects to remoteAddress. Given an absolute URL it
        // would derive the address from the URL's host and resolve that itself.
        return (destination.secure() ? secure : plain)
                .remoteAddress(destination::address)
                .headers(h -> {
                    h.set(HttpHeaderNames.HOST, hostHeader(url));
                    h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    h.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
                    headers.forEach(h::set);
                })
                .post()
                .uri(pathAndQuery(url))
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                .response((response, content) -> content.asByteArray()
                        .reduce(new ByteArrayOutputStream(), (out, chunk) -> {
                            int room = RESPONSE_EXCERPT_BYTES - out.size();
                            if (room > 0) {
                                out.write(chunk, 0, Math.min(room, chunk.length));
                            }
                            return out;
                        })
                        .defaultIfEmpty(new ByteArrayOutputStream())
                        .map(out -> {
                            int status = response.status().code();
                            Duration retryAfter = retryAfter(response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), startedAt);
                            String excerpt = out.toString(StandardCharsets.UTF_8);
                            String error = status >= 200 && status < 300 ? null : "the endpoint answered " + status;
                            return new AttemptResult(startedAt, elapsed(started), status, retryAfter, error, excerpt);
                        }))
                .next()
                // A kept-alive connection the receiver closed just as it was reused (many servers drop
                // idle ones after a few seconds) fails before any answer: send once more at once, on a
                // new connection, rather than wait for the retry schedule. A receiver that got the
                // first copy sees the same webhook-id twice, as at-least-once allows.
                .retryWhen(Retry.max(1).filter(PrematureCloseException.class::isInstance))
                .timeout(requestTimeout)
                .onErrorResume(error -> Mono.just(new AttemptResult(startedAt, elapsed(started), null, null, describe(error), null)));
    }

    /** The URL's host (an IPv6 literal in brackets), with its port unless that is the scheme's default. */
    static String hostHeader(URI url) {
        int defaultPort = "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        return url.getPort() == -1 || url.getPort() == defaultPort ? url.getHost() : url.getHost() + ":" + url.getPort();
    }

    /** The request target: the URL's raw path ({@code /} when empty) and query. */
    static String pathAndQuery(URI url) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    private String describe(Throwable error) {
        if (error instanceof TimeoutException || error instanceof io.netty.handler.timeout.ReadTimeoutException) {
            return "no answer within " + requestTimeout.toMillis() + " ms";
        }
        if (error instanceof ConnectException || error.getCause() instanceof ConnectException) {
            return "connection failed: " + error.getMessage();
        }
        String text = error.getClass().getSimpleName() + ": " + error.getMessage();
        return text.length() > 500 ? text.substring(0, 500) : text;
    }

    private static Duration elapsed(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    @Override
    public void close() {
        connections.disposeLater().block(Duration.ofSeconds(5));
    }
}
