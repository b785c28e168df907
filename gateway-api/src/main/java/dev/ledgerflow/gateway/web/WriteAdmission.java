package dev.ledgerflow.gateway.web;

import dev.ledgerflow.gateway.config.LedgerflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
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
        return chain.filter(exchange).doFinally(signal -> inFlight.decrementAndGet());
    }
}
