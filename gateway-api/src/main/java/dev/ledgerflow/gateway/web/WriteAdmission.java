package dev.ledgerflow.gateway.web;

import dev.ledgerflow.gateway.config.LedgerflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Admission control for writes: at most {@code LEDGER_WRITES_IN_FLIGHT_MAX} write requests ({@code
 * POST}, {@code PATCH}, {@code DELETE} under {@code /v1}) are worked on at once; one more is answered
 * 503 {@code overloaded} with {@code Retry-After} at once, before its body is read, and changes
 * nothing. Without it an overloaded service accepts everything and every answer waits longer and
 * longer (queued in the event loops, not in any bounded queue of ours): with it, the latency of what
 * is admitted stays near {@code in flight / throughput}, and a client learns at once to back off.
 * The group-commit queue has its own bound behind this one ({@code LEDGER_APPEND_QUEUE_MAX}).
 *
 * <p>It also makes sure every write admitted is answered with a body ({@link AnswerRequired}).
 */
@Component
@Order(-300)
class WriteAdmission implements WebFilter {

    private final int inFlightMax;
    private final AtomicInteger inFlight = new AtomicInteger();

    private final Counter rejected;

    WriteAdmission(LedgerflowProperties properties, MeterRegistry meters) {
        this.inFlightMax = properties.writesInFlightMax();
        this.rejected = Counter.builder("ledger.overload.rejections").tag("stage", "admission")
                .description("Writes answered 503 overloaded at once, nothing done").register(meters);
        Gauge.builder("ledger.writes.in_flight", inFlight, AtomicInteger::get)
                .description("Write requests worked on right now").register(meters);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        HttpMethod method = exchange.getRequest().getMethod();
        boolean write = method == HttpMethod.POST || method == HttpMethod.PATCH || method == HttpMethod.DELETE;
        if (!write || !exchange.getRequest().getPath().pathWithinApplication().value().startsWith("/v1/")) {
            return chain.filter(exchange);
        }
        if (inFlight.incrementAndGet() > inFlightMax) {
            inFlight.decrementAndGet();
            rejected.increment();
            return Mono.error(new ApiException(ApiError.OVERLOADED,
                    "The service is working on as many writes as it can; nothing was done. Retry after a second."));
        }
        AnswerRequired response = new AnswerRequired(exchange);
        ServerWebExchange answering = exchange.mutate().response(response).build();
        return chain.filter(answering)
                .then(Mono.defer(() -> response.answered() ? Mono.<Void>empty() : Mono.error(noAnswer(exchange))))
                .doFinally(signal -> inFlight.decrementAndGet());
    }

    private static IllegalStateException noAnswer(ServerWebExchange exchange) {
        return new IllegalStateException("the write " + exchange.getRequest().getMethod() + " "
                + exchange.getRequest().getPath() + " completed without an answer");
    }

    /**
     * Every write answers with a body (the object, or a problem): one that completed without writing any
     * would go out as 200 with an empty body (WebFlux's default status), which a client takes for a
     * success. It is a failure instead, answered as one (500) while the response can still be changed.
     */
    private static final class AnswerRequired extends ServerHttpResponseDecorator {

        private final ServerWebExchange exchange;
        private volatile boolean written;

        AnswerRequired(ServerWebExchange exchange) {
            super(exchange.getResponse());
            this.exchange = exchange;
        }

        boolean answered() {
            return written || getDelegate().isCommitted();
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            written = true;
            return super.writeWith(body);
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            written = true;
            return super.writeAndFlushWith(body);
        }

        @Override
        public Mono<Void> setComplete() {
            return answered() ? super.setComplete() : Mono.error(noAnswer(exchange));
        }
    }
}
