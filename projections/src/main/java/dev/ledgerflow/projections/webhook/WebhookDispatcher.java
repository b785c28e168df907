package dev.ledgerflow.projections.webhook;

import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.feed.FeedHandler;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Turns the feed into deliveries: for each public event, one delivery per enabled endpoint of its
 * merchant that subscribes to its type, written to PostgreSQL and then put on the stream.
 *
 * <p>Run by a {@link FeedConsumer} named {@value #CONSUMER_NAME}, whose checkpoint only moves past
 * an event once its deliveries are stored. An event handed over again after a crash finds its
 * deliveries by their deterministic ids and adds none. Putting them on the stream is best effort:
 * when Redis is away they stay due in PostgreSQL and the {@link DeliveryScheduler} enqueues them
 * later, so an outage of Redis never stalls the feed for long nor loses a delivery.
 */
public final class WebhookDispatcher implements FeedHandler {

    /** The name the dispatcher's checkpoint is saved under. */
    public static final String CONSUMER_NAME = "webhook-dispatcher";

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /** Redis is a queue here, not a dependency: wait briefly for it, then leave the delivery to the scheduler. */
    private static final Duration ENQUEUE_TIMEOUT = Duration.ofSeconds(1);
    /**
     * Events dispatched at once. Each is one round trip to PostgreSQL (and one to Redis when it has
     * deliveries); with 8 the dispatcher managed about 600 events/s under load and fell behind a
     * payment stream of 300/s, so it keeps more of them in flight. Give it a pool of its own: on a
     * pool shared with the API, that many queries in flight starve the API's appends.
     */
    private static final int DISPATCH_CONCURRENCY = 32;

    private final WebhookDeliveries deliveries;
    private final WebhookQueue queue;

    public WebhookDispatcher(WebhookDeliveries deliveries, WebhookQueue queue) {
        this.deliveries = deliveries;
        this.queue = queue;
    }

    /** A consumer of the feed that runs this dispatcher. Call {@link FeedConsumer#start()}. */
    public FeedConsumer consumer(EventStore store, CheckpointStore checkpoints) {
        FeedConsumer.Settings settings = FeedConsumer.Settings.defaults().withConcurrency(DISPATCH_CONCURRENCY).withHandlerTimeout(Duration.ofSeconds(30));
        return new FeedConsumer(CONSUMER_NAME, store, checkpoints, this, settings);
    }

    @Override
    public Mono<Void> handle(RecordedEvent event) {
        if (!EventTypes.isPublic(event.type())) {
            return Mono.empty();
        }
        String merchant = PublicEvent.merchantOf(event);
        if (merchant == null) {
            return Mono.empty();
        }
        return deliveries.createForEvent(event, merchant)
                .collectList()
                .flatMap(ids -> queue.add(ids)
                        .timeout(ENQUEUE_TIMEOUT)
                        .onErrorResume(error -> {
                            log.debug("Deliveries {} stay due in PostgreSQL: the stream is unavailable ({})", ids, error.toString());
                            return deliveries.markNotEnqueued(ids);
                        }));
    }
}
