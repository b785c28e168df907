package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.feed.FeedBatchHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Turns the feed into deliveries: for each public event, one delivery per enabled endpoint of its
 * merchant that subscribes to its type, written to PostgreSQL and then put on the stream.
 *
 * <p>Run by a batched {@link FeedConsumer} named {@value #CONSUMER_NAME}, whose checkpoint only moves
 * past an event once its deliveries are stored. A batch of consecutive events costs one statement
 * (and one pipelined round of {@code XADD}s), not one per event. An event handed over again after a
 * crash finds its deliveries by their deterministic ids and adds none; those still owed and not held
 * go on the stream again (the crash may have come before their {@code XADD}). Putting them on the stream is
 * best effort: when Redis is away they stay due in PostgreSQL and the {@link DeliveryScheduler}
 * enqueues them later, so an outage of Redis never stalls the feed for long nor loses a delivery.
 */
public final class WebhookDispatcher implements FeedBatchHandler {

    /** The name the dispatcher's checkpoint is saved under. */
    public static final String CONSUMER_NAME = "webhook-dispatcher";

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /** Redis is a queue here, not a dependency: wait briefly for it, then leave the delivery to the scheduler. */
    private static final Duration ENQUEUE_TIMEOUT = Duration.ofSeconds(1);
    /**
     * Up to 256 events per statement, waiting at most 5 ms for a batch to fill (the latency a quiet feed
     * pays), 4 batches at once: event by event, the dispatcher paid a round trip to PostgreSQL per event
     * and fell behind under load (measured in docs/benchmarks.md). Give it a pool of its own: on a pool
     * shared with the API, its queries starve the API's appends.
     */
    static final FeedConsumer.Batching BATCHING = new FeedConsumer.Batching(256, Duration.ofMillis(5));
    private static final int BATCHES_IN_FLIGHT = 4;

    private final WebhookDeliveries deliveries;
    private final WebhookQueue queue;

    public WebhookDispatcher(WebhookDeliveries deliveries, WebhookQueue queue) {
        this.deliveries = deliveries;
        this.queue = queue;
    }

    /** A consumer of the feed that runs this dispatcher. Call {@link FeedConsumer#start()}. */
    public FeedConsumer consumer(EventStore store, CheckpointStore checkpoints) {
        FeedConsumer.Settings settings = FeedConsumer.Settings.defaults()
                .withConcurrency(BATCHES_IN_FLIGHT)
                .withHandlerTimeout(Duration.ofSeconds(30));
        return new FeedConsumer(CONSUMER_NAME, store, checkpoints, this, settings, BATCHING);
    }

    @Override
    public Mono<Void> handle(List<RecordedEvent> events) {
        List<WebhookDeliveries.Dispatch> dispatches = new ArrayList<>();
        for (RecordedEvent event : events) {
            if (EventTypes.isPublic(event.type())) {
                String merchant = PublicEvent.merchantOf(event);
                if (merchant != null) {
                    dispatches.add(new WebhookDeliveries.Dispatch(event, merchant));
                }
            }
        }
        if (dispatches.isEmpty()) {
            return Mono.empty();
        }
        return deliveries.createForEvents(dispatches)
                .collectList()
                .flatMap(ids -> queue.add(ids)
                        .timeout(ENQUEUE_TIMEOUT)
                        .onErrorResume(error -> {
                            log.debug("{} deliveries stay due in PostgreSQL: the stream is unavailable ({})", ids.size(),
                                    error.toString());
                            return deliveries.markNotEnqueued(ids);
                        }));
    }
}
