package dev.ledgerflow.projections.webhook;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * POSTs one signed webhook (reactor-netty, non-blocking) and reports what came of it. Redirects are
 * not followed (they are failures, per Standard Webhooks, and following one would skip the
 * destination check); the whole exchange is bounded by the request timeout; only the first KiB of
 * the answer is kept.
 */
public final class WebhookSender implements AutoCloseable {

    static final int RESPONSE_EXCERPT_BYTES = 1024;
    static final String USER_AGENT = "Ledgerflow-Webhooks/1.0";

    private final ConnectionProvider connections;
    private final HttpClient client;
    private final Duration requestTimeout;

    public WebhookSender(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.connections = ConnectionProvider.builder("ledgerflow-webhooks")
                .maxConnections(500)
                .pendingAcquireTimeout(requestTimeout)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        this.client = HttpClient.create(connections)
                .followRedirect(false)
                .responseTimeout(requestTimeout)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(requestTimeout.toMillis(), 10_000));
    }

    /** Sends {@code body} with {@code headers}; never errors: a failure is an {@link AttemptResult} without a status. */
    public Mono<AttemptResult> post(URI url, Map<String, String> headers, byte[] body, Instant startedAt) {
        long started = System.nanoTime();
        return client.headers(h -> {
                    h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    h.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
                    headers.forEach(h::set);
                })
                .post()
                .uri(url)
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
                .timeout(requestTimeout)
                .onErrorResume(error -> Mono.just(new AttemptResult(startedAt, elapsed(started), null, null, describe(error), null)));
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
