package dev.ledgerflow.gateway.stream;

import java.time.Duration;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

/** Turns stream messages into Server-Sent Events with heartbeats, and cuts off clients that fall behind. */
final class Sse {

    private Sse() {}

    /**
     * The messages as SSE ({@code id} = global position, {@code event} = type, {@code data} = JSON),
     * after an opening comment, with a heartbeat comment every {@code heartbeat} until they complete.
     */
    static Flux<ServerSentEvent<String>> of(Flux<EventStreams.Message> messages, Duration heartbeat, boolean openingComment) {
        Flux<ServerSentEvent<String>> events = messages.map(message -> ServerSentEvent.builder(message.json())
                .id(Long.toString(message.position()))
                .event(message.type())
                .build());
        Flux<ServerSentEvent<String>> opened = openingComment
                ? Flux.concat(Mono.just(ServerSentEvent.<String>builder().comment("connected").build()), events)
                : events;
        return opened.publish(shared -> Flux.merge(shared, Flux.interval(heartbeat)
                .map(tick -> ServerSentEvent.<String>builder().comment("heartbeat").build())
                .takeUntilOther(shared.then(Mono.just(true)))));
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
