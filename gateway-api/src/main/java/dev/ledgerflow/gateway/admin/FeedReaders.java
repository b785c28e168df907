package dev.ledgerflow.gateway.admin;

import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.projections.projector.FeedLag;
import dev.ledgerflow.projections.projector.Projections;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Everything that reads the feed, side by side: every projection, and every {@link FeedConsumer} bean
 * of the application (payment processor, webhook dispatcher, Kafka relay, whichever exist), with
 * their positions and lag. The lag is also published as the gauges {@code ledger.projection.lag.events}
 * and {@code ledger.projection.lag.ms} (tag {@code projection}), refreshed in the background.
 */
@Component
public class FeedReaders implements SmartInitializingSingleton, DisposableBean {

    private static final Duration REFRESH = Duration.ofSeconds(5);

    /**
     * One reader of the feed.
     *
     * @param kind {@code projection} or {@code consumer}
     * @param generation the projection generation that answers reads (null for a consumer)
     * @param position the global position of the last event it finished
     * @param txid the transaction id of that event (with position, its place in the feed)
     * @param eventsHandled events applied (projection generation) or handled since start (consumer)
     * @param rebuild a projection's rebuild under way, if any
     */
    public record FeedReader(String name, String kind, String status, Integer generation, long position, long txid,
            long lagEvents, long lagMs, boolean lagEstimated, long eventsHandled, Instant lastEventAt, long restarts,
            String lastError, Projections.Rebuild rebuild) {}

    private final Projections projections;
    private final ObjectProvider<FeedConsumer> consumers;
    private final FeedLag lag;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong[]> gauges = new ConcurrentHashMap<>();
    private Disposable refresher;

    FeedReaders(Projections projections, ObjectProvider<FeedConsumer> consumers, MeterRegistry meters) {
        this.projections = projections;
        this.consumers = consumers;
        this.lag = projections.lag();
        this.meters = meters;
    }

    /** The projections, then the feed consumers, each with its current lag. */
    public Flux<FeedReader> all() {
        Flux<FeedReader> fromProjections = projections.status().map(s -> new FeedReader(s.name(), "projection", s.status(),
                s.generation(), s.checkpoint().position(), s.checkpoint().txid(), s.lag().events(), s.lag().millis(),
                s.lag().estimated(), s.eventsApplied(), s.lastRecordedAt(), s.restarts(), s.lastError(), s.rebuild()));
        Flux<FeedReader> fromConsumers = Flux.fromStream(consumers.orderedStream())
                .concatMap(consumer -> {
                    FeedConsumer.Status status = consumer.status();
                    return lag.of(status.checkpoint()).map(l -> new FeedReader(status.name(), "consumer",
                            status.running() ? "running" : "stopped", null, status.checkpoint().position(),
                            status.checkpoint().txid(), l.events(), l.millis(), l.estimated(), status.eventsFinished(),
                            status.lastEventRecordedAt(), status.restarts(), status.lastError(), null));
                });
        return Flux.concat(fromProjections, fromConsumers);
    }

    public Set<String> consumerNames() {
        return consumers.orderedStream().map(FeedConsumer::name).collect(Collectors.toSet());
    }

    @Override
    public void afterSingletonsInstantiated() {
        refresher = Flux.interval(Duration.ZERO, REFRESH)
                .onBackpressureDrop()
                .concatMap(tick -> all().doOnNext(this::record).then().onErrorResume(error -> Mono.empty()))
                .subscribe();
    }

    private void record(FeedReader reader) {
        AtomicLong[] values = gauges.computeIfAbsent(reader.name(), name -> {
            AtomicLong[] created = {new AtomicLong(), new AtomicLong()};
            Tags tags = Tags.of("projection", name, "kind", reader.kind());
            Gauge.builder("ledger.projection.lag.events", created[0], AtomicLong::get)
                    .description("Events of the feed a projection or consumer has not handled yet").tags(tags).register(meters);
            Gauge.builder("ledger.projection.lag.ms", created[1], AtomicLong::get)
                    .description("Age of the oldest event a projection or consumer has not handled yet")
                    .baseUnit("milliseconds").tags(tags).register(meters);
            return created;
        });
        values[0].set(reader.lagEvents());
        values[1].set(reader.lagMs());
    }

    @Override
    public void destroy() {
        if (refresher != null) {
            refresher.dispose();
        }
    }

    List<String> names() {
        return gauges.keySet().stream().sorted().toList();
    }
}
