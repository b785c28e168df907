package dev.ledgerflow.gateway.stream;

import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
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
        // The heartbeats stop with the events: these end with a marker the merge stops at (a plain merge,
        // not a publish/merge pair: every frame of every subscriber passes here).
        return Flux.merge(opened.concatWith(Mono.just(END)), Flux.interval(heartbeat).map(tick -> HEARTBEAT))
                .takeWhile(frame -> frame != END);
    }

    /** Marks the end of a stream's frames inside {@link #of}; never written. */
    private static final byte[] END = new byte[0];

    /**
     * Writes the frames as {@code text/event-stream} in one send for the whole stream: Reactor Netty
     * flushes whenever it has written all the frames that have arrived, so each frame goes out at once
     * (a send and a flush per frame, as {@code writeAndFlushWith} does, cost more than the frame). An
     * error before the first frame (an unknown payment, say) leaves the response uncommitted, so it is
     * answered as a problem.
     */
    static Mono<Void> write(ServerHttpResponse response, Flux<byte[]> frames) {
        response.getHeaders().setContentType(MediaType.TEXT_EVENT_STREAM);
        response.getHeaders().setCacheControl("no-cache");
        return response.writeWith(frames.map(bytes -> response.bufferFactory().wrap(bytes)));
    }

    /**
     * One SSE client as the event streams see it: how to let it go when it cannot keep up (close its
     * connection), and where its events are delivered (the event loop of its connection).
     */
    record Client(Runnable closer, Scheduler deliverOn) {}

    /** Schedulers over the server's event loops, one per loop, made once. */
    private static final Map<EventLoop, Scheduler> LOOPS = new ConcurrentHashMap<>();

    /**
     * The client behind {@code response}. Its events are delivered on its connection's event loop: a
     * frame written from that thread goes to the socket at once, where a write from any other thread
     * is queued as a task for the loop (a second hand-over per frame and subscriber, the larger share
     * of the fan-out's cost with thousands of subscribers). Without a Netty connection (a mock
     * exchange), a parallel worker.
     */
    static Client client(ServerHttpResponse response) {
        Object nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
        if (nativeResponse instanceof HttpServerResponse netty) {
            AtomicReference<EventLoop> loop = new AtomicReference<>();
            netty.withConnection(connection -> loop.set(connection.channel().eventLoop()));
            Scheduler deliverOn = loop.get() == null ? Schedulers.parallel()
                    : LOOPS.computeIfAbsent(loop.get(), executor -> Schedulers.fromExecutor(executor));
            return new Client(() -> netty.withConnection(Connection::dispose), deliverOn);
        }
        return new Client(() -> { }, Schedulers.parallel());
    }
}
