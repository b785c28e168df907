package dev.ledgerflow.delivery.kafka;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.cluster.PartitionedFeed;
import dev.ledgerflow.core.eventstore.EventStore;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.feed.FeedConsumer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.retry.Retry;

/**
 * Publishes every event of the log to a Kafka topic, keyed by stream id, as a CloudEvent: a
 * {@link FeedConsumer} named {@value #CONSUMER_NAME} whose checkpoint only moves past events the
 * brokers acknowledged, so a crash re-sends and never skips (at least once; consumers de-duplicate
 * by the CloudEvent id).
 *
 * <p><b>Order.</b> Every event of a stream goes to one partition (the key is the stream id), and the
 * producer keeps the order of its sends within a partition, retries included: it is idempotent and
 * has one produce request in flight per broker (see {@link RelaySettings#producerConfig()} for why
 * not more). So the relay issues sends in feed order from one thread: the feed consumer subscribes to
 * its handlers in feed order and each handler only queues its send on that thread, then waits for the
 * acknowledgement while later sends go out (up to the feed consumer's concurrency awaiting
 * acknowledgement, batched by the producer).
 *
 * <p><b>Failures.</b> A send that fails for good (the delivery timeout passed) must not let a later
 * event of the same stream reach the topic before it is re-sent. The failed producer is therefore
 * closed at once from its callback, which discards every record it still holds, and refuses to take
 * more; the feed consumer restarts from its checkpoint and the first re-sent event (which can only be
 * at or before the failed one) opens a new producer. Records the broken producer had already
 * written stay, as duplicates with the same id, in their order.
 */
public final class KafkaRelay implements AutoCloseable {

    /** The feed consumer's name, also its checkpoint's. */
    public static final String CONSUMER_NAME = "kafka-relay";

    private static final Logger log = LoggerFactory.getLogger(KafkaRelay.class);
    private static final Duration LAG_SAMPLE_INTERVAL = Duration.ofSeconds(5);

    private final RelaySettings settings;
    private final LeaseCoordinator coordinator; // null: relay whenever started
    private volatile LeaseCoordinator.Membership membership;
    private final FeedConsumer consumer;
    private final Admin admin;
    private final CheckpointStore checkpoints;
    private final RelayLag lag;
    private final ExecutorService sender;
    private final Counter sent;
    private final Counter failed;
    private final MeterRegistry meters;
    private final List<Meter> registered = new ArrayList<>();
    private final AtomicReference<RelayLag.Lag> lastLag = new AtomicReference<>(RelayLag.Lag.NONE);

    /** The producer now in use; replaced only on the sender thread. */
    private volatile Generation generation;
    private Disposable starting; // guarded by this
    private Disposable lagSampling; // guarded by this
    private boolean closed; // guarded by this

    public KafkaRelay(
            RelaySettings settings, EventStore store, CheckpointStore checkpoints, RelayLag lag, MeterRegistry meters) {
        this(settings, store, checkpoints, lag, meters, null);
    }

    /**
     * A relay among other instances: it relays only while this instance holds the relay's lease
     * (group {@value #CONSUMER_NAME}, one partition, its checkpoint in the lease row), so that one
     * instance at a time publishes; another takes over when it leaves or its lease expires.
     */
    public KafkaRelay(RelaySettings settings, EventStore store, CheckpointStore checkpoints, RelayLag lag,
            MeterRegistry meters, LeaseCoordinator coordinator) {
        this.coordinator = coordinator;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.lag = Objects.requireNonNull(lag, "lag");
        this.consumer = new FeedConsumer(CONSUMER_NAME, store, checkpoints, this::relay, settings.feed());
        this.admin = Admin.create(settings.adminConfig());
        this.sender = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-relay-sender");
            thread.setDaemon(true);
            return thread;
        });
        this.meters = meters;
        this.sent = register(Counter.builder("ledger.kafka.relay.sent")
                .description("Events the Kafka relay published and the brokers acknowledged")
                .tag("topic", settings.topic())
                .register(meters));
        this.failed = register(Counter.builder("ledger.kafka.relay.send.failures")
                .description("Sends the producer gave up on; the relay re-sends from its checkpoint")
                .tag("topic", settings.topic())
                .register(meters));
        register(Gauge.builder("ledger.kafka.relay.lag.events", lastLag, l -> l.get().events())
                .description("Events of the log not yet acknowledged by Kafka (sampled every 5 s)")
                .tag("topic", settings.topic())
                .register(meters));
        register(Gauge.builder("ledger.kafka.relay.lag.seconds", lastLag, l -> l.get().oldestAge().toMillis() / 1000.0)
                .description("Age of the oldest event not yet acknowledged by Kafka (sampled every 5 s)")
                .tag("topic", settings.topic())
                .register(meters));
        register(Gauge.builder("ledger.kafka.relay.checkpoint.position", consumer, c -> c.checkpoint().position())
                .description("Global position of the last event the Kafka relay finished, with every one before it")
                .tag("topic", settings.topic())
                .register(meters));
    }

    private <M extends Meter> M register(M meter) {
        registered.add(meter);
        return meter;
    }

    public RelaySettings settings() {
        return settings;
    }

    /** The feed consumer that drives the relay: its status is the relay's place and lag. */
    public FeedConsumer consumer() {
        return consumer;
    }

    /** The last sampled lag. */
    public RelayLag.Lag lag() {
        return lastLag.get();
    }

    /**
     * Creates the topic unless it exists, then starts relaying from the checkpoint. Returns at once:
     * while Kafka cannot be reached the topic creation is retried with backoff, and nothing is sent.
     */
    public synchronized KafkaRelay start() {
        if (closed) {
            throw new IllegalStateException("the Kafka relay is closed");
        }
        if (starting == null) {
            starting = ensureTopic()
                    .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1))
                            .maxBackoff(Duration.ofSeconds(30))
                            .doBeforeRetry(signal -> log.warn("Kafka relay: topic {} not ready yet ({}); retrying",
                                    settings.topic(), signal.failure().toString())))
                    .subscribe(null, error -> log.error("Kafka relay gave up creating its topic", error),
                            this::startConsumer);
            lagSampling = Flux.interval(Duration.ZERO, LAG_SAMPLE_INTERVAL)
                    .onBackpressureDrop()
                    .concatMap(tick -> sampleLag(), 1)
                    .subscribe();
        }
        return this;
    }

    /** The lag after the later of the in-memory and the saved checkpoint (the consumer may not have loaded it yet). */
    private Mono<RelayLag.Lag> sampleLag() {
        Mono<LogPosition> savedCheckpoint = coordinator == null
                ? checkpoints.load(CONSUMER_NAME)
                : coordinator.store().lowestCheckpoint(CONSUMER_NAME).defaultIfEmpty(LogPosition.START);
        return savedCheckpoint
                .map(saved -> saved.isAfter(consumer.checkpoint()) ? saved : consumer.checkpoint())
                .flatMap(lag::behind)
                .doOnNext(lastLag::set)
                .onErrorResume(error -> {
                    log.debug("Kafka relay: lag not measured", error);
                    return Mono.empty();
                });
    }

    private synchronized void startConsumer() {
        if (closed) {
            return;
        }
        if (coordinator == null) {
            consumer.start();
            return;
        }
        PartitionedFeed.join(consumer, 1, coordinator).subscribe(joined -> {
            boolean leave;
            synchronized (this) {
                membership = joined;
                leave = closed;
            }
            if (leave) {
                joined.close();
            }
        }, error -> log.error("Kafka relay could not join its lease group", error));
    }

    /** Creates the topic with the configured partitions and replicas; an existing topic is kept as it is. */
    public Mono<Void> ensureTopic() {
        NewTopic topic = new NewTopic(settings.topic(), settings.partitions(), settings.replicationFactor());
        return Mono.fromCompletionStage(() -> admin.createTopics(List.of(topic)).all().toCompletionStage())
                .doOnSuccess(done -> log.info("Kafka relay: created topic {} with {} partitions", settings.topic(),
                        settings.partitions()))
                .onErrorResume(KafkaRelay::topicExists, exists -> {
                    log.info("Kafka relay: topic {} exists", settings.topic());
                    return Mono.empty();
                });
    }

    private static boolean topicExists(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof TopicExistsException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The cluster as the admin client sees it within {@code timeout}: its id and number of brokers.
     * Errors when Kafka does not answer in time.
     */
    public Mono<ClusterState> describeCluster(Duration timeout) {
        DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs((int) timeout.toMillis());
        return Mono.fromCompletionStage(() -> {
                    var cluster = admin.describeCluster(options);
                    return cluster.clusterId().toCompletionStage()
                            .thenCombine(cluster.nodes().toCompletionStage(),
                                    (id, nodes) -> new ClusterState(id, nodes.size()));
                })
                .timeout(timeout.plusSeconds(1));
    }

    /** What {@link #describeCluster} found. */
    public record ClusterState(String clusterId, int brokers) {}

    /**
     * Stops relaying, saves the checkpoint of what was acknowledged, and closes the producer (waiting
     * a few seconds for what it holds) and the admin client. Blocks: call it on shutdown only.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (starting != null) {
                starting.dispose();
            }
            if (lagSampling != null) {
                lagSampling.dispose();
            }
        }
        LeaseCoordinator.Membership joined = membership;
        if (joined != null) {
            joined.close(); // stops the consumer, saves its place, gives the lease to another instance
        }
        try {
            consumer.stop().block(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            log.warn("Kafka relay: saving the last checkpoint failed", e);
        }
        sender.shutdown();
        try {
            if (!sender.awaitTermination(settings.sendBlockMax().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
                sender.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Generation last = generation;
        if (last != null) {
            last.producer.close(Duration.ofSeconds(10));
        }
        admin.close(Duration.ofSeconds(5));
        registered.forEach(meters::remove); // a relay started after this one reports its own numbers
        log.info("Kafka relay stopped at {}", consumer.checkpoint());
    }

    /** The feed handler: queues the send on the sender thread, in the order the feed hands events over. */
    private Mono<Void> relay(RecordedEvent event) {
        return Mono.create(sink -> {
            AtomicBoolean cancelled = new AtomicBoolean();
            sink.onCancel(() -> cancelled.set(true));
            try {
                sender.execute(() -> {
                    if (!cancelled.get()) { // a cancelled subscription's later events are never sent
                        send(event, sink);
                    }
                });
            } catch (RejectedExecutionException e) {
                sink.error(new IllegalStateException("the Kafka relay is closed", e));
            }
        });
    }

    /** Runs on the sender thread only. */
    private void send(RecordedEvent event, MonoSink<Void> sink) {
        ProducerRecord<String, byte[]> record;
        try {
            record = record(event);
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        Generation current = generation;
        if (current == null || current.failed.get()) {
            if (current != null && event.logPosition().isAfter(current.lastIssued)) {
                // Still the subscription that saw the failure: this event must wait for the re-send
                // of the failed one, which the restarted feed consumer hands over first.
                sink.error(new IllegalStateException("Kafka relay: an earlier send failed; not sending "
                        + event.type() + " at position " + event.position() + " ahead of it"));
                return;
            }
            if (current != null) {
                current.producer.close(Duration.ZERO);
                log.info("Kafka relay: resuming with a new producer at position {}", event.position());
            }
            current = new Generation(new KafkaProducer<>(settings.producerConfig()));
            generation = current;
        }
        Generation issuing = current;
        issuing.lastIssued = event.logPosition();
        try {
            issuing.producer.send(record, (metadata, error) -> {
                if (error == null) {
                    sent.increment();
                    sink.success();
                } else {
                    issuing.fail(event, error);
                    sink.error(error);
                }
            });
        } catch (RuntimeException e) { // no metadata within sendBlockMax, or a closed producer
            issuing.fail(event, e);
            sink.error(e);
        }
    }

    private ProducerRecord<String, byte[]> record(RecordedEvent event) {
        String key = event.streamId().value();
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(settings.topic(), null, key, CloudEvents.toBytes(event, settings.source()));
        CloudEvents.headers(record.headers(), event);
        return record;
    }

    /** One producer and what the relay sent through it. */
    private final class Generation {
        final Producer<String, byte[]> producer;
        final AtomicBoolean failed = new AtomicBoolean();
        /** The last event handed to this producer; written on the sender thread only. */
        volatile LogPosition lastIssued = LogPosition.START;

        Generation(Producer<String, byte[]> producer) {
            this.producer = producer;
        }

        /** Closes the producer at once, dropping what it still holds: nothing later may overtake the failed send. */
        void fail(RecordedEvent event, Throwable error) {
            if (failed.compareAndSet(false, true)) {
                KafkaRelay.this.failed.increment();
                log.warn("Kafka relay: send of {} at position {} (stream {}) failed; closing the producer and"
                        + " re-sending from the checkpoint: {}", event.type(), event.position(), event.streamId(),
                        error.toString());
                producer.close(Duration.ZERO);
            }
        }
    }
}
