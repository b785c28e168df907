package dev.ledgerflow.gateway.web;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

/**
 * Requests the HTTP codec could not decode (a forbidden character in a header, a header or request
 * line over the limit) or whose path has a broken percent-encoding ({@code /v1/payments/%ZZ}) get an
 * RFC 9457 problem like every other bad request, instead of Netty's bare 400 with no body; then the
 * connection is closed, since where the next request would start is unknown.
 */
final class UndecodableRequests extends ChannelInboundHandlerAdapter {

    static final String NAME = "ledger.undecodableRequests";

    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refused && msg instanceof HttpObject) {
            ReferenceCountUtil.release(msg); // the rest of a refused request
            return;
        }
        if (msg instanceof HttpRequest request) {
            ApiException problem = problem(request);
            if (problem != null) {
                refused = true;
                ReferenceCountUtil.release(msg);
                answer(ctx, problem);
                return;
            }
        }
        super.channelRead(ctx, msg);
    }

    private static ApiException problem(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                return new ApiException(ApiError.HEADERS_TOO_LARGE, "The request's headers are larger than the server accepts.");
            }
            if (cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException) {
                return new ApiException(ApiError.URI_TOO_LONG, "The request line is longer than the server accepts.");
            }
            return new ApiException(ApiError.INVALID_REQUEST, "The request is not valid HTTP/1.1: "
                    + (cause == null ? "undecodable" : cause.getMessage()) + ".");
        }
        if (request.uri().indexOf('%') < 0) {
            return null; // nothing percent-encoded, nothing to break (and no decoding on most requests)
        }
        try {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            uri.path(); // decodes the path's percent-encoding
            uri.parameters();
        } catch (IllegalArgumentException broken) {
            return new ApiException(ApiError.INVALID_REQUEST, "The request's path or query has a broken percent-encoding.");
        }
        return null;
    }

    private static void answer(ChannelHandlerContext ctx, ApiException problem) {
        byte[] body = Problems.body(problem);
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(problem.error().status()),
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
