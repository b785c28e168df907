package dev.ledgerflow.gateway.web;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.NettyPipeline;

/**
 * How long the HTTP server waits for a client before it closes the connection. Without limits an
 * idle or half-sent connection is held for ever, and a few thousand of them (or one client sending a
 * byte now and then) take what the service needs for real requests.
 *
 * <ul>
 *   <li>{@code idleTimeout}: a connection waiting for a request (a new one, or the next of a keep-alive
 *       connection) is closed after this long without a complete request head;
 *   <li>{@code requestHeadTimeout}: from the first byte of a request to the end of its headers, however
 *       slowly they trickle in; then the connection is closed;
 *   <li>{@code requestBodyTimeout}: from the end of the headers to the end of the body (Reactor Netty's
 *       request timeout); then the connection is closed.
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(HttpTimeouts.Settings.class)
class HttpTimeouts {

    private static final Logger log = LoggerFactory.getLogger(HttpTimeouts.class);
    private static final String HEAD_STARTED = "ledger.requestHeadStarted";
    private static final String HEAD_ENDED = "ledger.requestHeadEnded";

    /**
     * {@code ledger.http.*}, or {@code LEDGER_HTTP_IDLE_TIMEOUT}, {@code LEDGER_HTTP_REQUEST_HEAD_TIMEOUT},
     * {@code LEDGER_HTTP_REQUEST_BODY_TIMEOUT}.
     */
    @ConfigurationProperties("ledger.http")
    record Settings(
            @DefaultValue("60s") Duration idleTimeout,
            @DefaultValue("10s") Duration requestHeadTimeout,
            @DefaultValue("30s") Duration requestBodyTimeout) {

        Settings {
            for (Duration timeout : new Duration[] {idleTimeout, requestHeadTimeout, requestBodyTimeout}) {
                if (timeout.isNegative() || timeout.isZero()) {
                    throw new IllegalArgumentException("HTTP timeouts must be positive");
                }
            }
        }
    }

    @Bean
    NettyServerCustomizer httpTimeoutsCustomizer(Settings settings) {
        return server -> server
                .idleTimeout(settings.idleTimeout())
                .requestTimeout(settings.requestBodyTimeout())
                .doOnChannelInit((observer, channel, remoteAddress) -> RequestHead.install(channel, settings.requestHeadTimeout()));
    }

    /**
     * The request head deadline: armed by the first bytes of a request (seen before the HTTP codec),
     * disarmed when the codec has decoded its head (seen after it). Netty's own handlers count time
     * without reads, which a client trickling one byte at a time never lets run out.
     */
    static final class RequestHead {

        private final long timeoutMs;
        private ScheduledFuture<?> deadline;
        private boolean inRequest;

        private RequestHead(Duration timeout) {
            this.timeoutMs = timeout.toMillis();
        }

        /** Into a new connection's pipeline, after Reactor Netty has put its HTTP/1.1 codec there. */
        static void install(Channel channel, Duration timeout) {
            var pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.HttpCodec) == null || pipeline.get(HEAD_STARTED) != null) {
                return; // not HTTP/1.1, or installed already
            }
            RequestHead head = new RequestHead(timeout);
            pipeline.addBefore(NettyPipeline.HttpCodec, HEAD_STARTED, head.new Started());
            pipeline.addAfter(NettyPipeline.HttpCodec, HEAD_ENDED, head.new Ended());
            pipeline.addAfter(HEAD_ENDED, UndecodableRequests.NAME, new UndecodableRequests());
        }

        private void cancel() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        private final class Started extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (!inRequest && deadline == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
                    deadline = ctx.executor().schedule(() -> expire(ctx), timeoutMs, TimeUnit.MILLISECONDS);
                }
                super.channelRead(ctx, msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                cancel();
                super.channelInactive(ctx);
            }

            /**
             * Closes the connection. No 408: no request was decoded to answer, and an answer to an
             * earlier request of the connection may still be on its way.
             */
            private void expire(ChannelHandlerContext ctx) {
                deadline = null;
                log.debug("Closing {}: no complete request head within {} ms", ctx.channel().remoteAddress(), timeoutMs);
                ctx.close();
            }
        }

        private final class Ended extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (msg instanceof HttpRequest) {
                    cancel();
                    inRequest = true;
                }
                if (msg instanceof LastHttpContent) {
                    inRequest = false; // whatever comes next starts the next request
                }
                super.channelRead(ctx, msg);
            }
        }
    }
}
