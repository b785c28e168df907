package dev.ledgerflow.gateway.stream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Turns stream messages into Server-Sent Events with heartbeats, and cuts off clients that fall behind.
 *
 * <p>Frames are encoded once per event ({@link #frame}) and the same bytes are written to every
 * subscriber, each frame flushed as it comes: with thousands of subscribers on one feed, formatting
 * and encoding each event per subscriber (as a {@code ServerSentEvent} writer does) was most of the
 * fan-out's cost.
 */
final class Sse {

    private static final byte[] CONNECTED = ":connected\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HEARTBEAT = ":heartbeat\n\n".getBytes(StandardCharsets.UTF_8);

    private Sse() {}

    /**
     * One event's frame: {@code id} = global position, {@code event} = type, {@code data} = the JSON,
     * which is compact (one line: newlines inside strings are escaped), so it is one {@code data} line.
     */
    static byte[] frame(long position, String type, String json) {
        if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0 || type.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("an SSE data line cannot hold a line break");
        }
        return ("id:" + position + "\nevent:" + type + "\ndata:" + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The messages' frames, after an opening comment, with a heartbeat comment every {@code heartbeat}
     * until they complete.
     */
    static Flux<byte[]> of(Flux<EventStreams.Message> messages, Duration heartbeat, boolean openingComment) {
        Flux<byte[]> events = messages.map(EventStreams.Message::frame);
        Flux<byte[]> opened = openingComment ? Flux.concat(Mono.just(CONNECTED), events) : events;
        return opened.publish(shared -> Flux.merge(shared, Flux.interval(heartbeat)
                .map(tick -> HEARTBEAT)
                .takeUntilOther(shared.then(Mono.just(true)))));
    }

    /**
     * Writes the frames as {@code text/event-stream}, flushing each. An error before the first frame
     * (an unknown payment, say) leaves the response uncommitted, so it is answered as a problem.
     */
    static Mono<Void> write(ServerHttpResponse response, Flux<byte[]> frames) {
        response.getHeaders().setContentType(MediaType.TEXT_EVENT_STREAM);
        response.getHeaders().setCacheControl("no-cache");
        return response.writeAndFlushWith(frames.map(bytes -> Mono.just(response.bufferFactory().wrap(bytes))));
    }

    /** Closes the client's connection: how a subscriber that cannot keep up is let go. */
    static Runnable closer(ServerHttpResponse response) {
        return () -> {
            Object nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
            if (nativeResponse instanceof HttpServerResponse netty) {
                netty.withConnection(Connection::dispose);
            }
        };
    }
}
