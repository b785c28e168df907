package dev.ledgerflow.delivery.kafka;

import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.feed.FeedBatchHandler;
import dev.ledgerflow.core.feed.FeedHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs a handler of the log over the relay's topic instead of the PostgreSQL feed: a member of the
 * Kafka consumer group named after the consumer, so Kafka spreads the topic's partitions over the live
 * instances and moves a dead one's to the others (after the session timeout).
 *
 * <p>One thread polls. Each poll's records are decoded back to the events of the log ({@link
 * CloudEvents#decode}) and handed over per partition, every partition's records in their order (the
 * relay keys by stream id, so a stream's events are in one partition, in stream order), the partitions
 * at once. A partition's offset is committed ({@code commitSync}) only after its handler completed, that
 * is after the handler's own write is durable; a handler that fails has its partition sought back to
 * the first record of the run, which comes again. Handling finishes before the next poll, so when Kafka
 * revokes partitions (inside a poll) nothing is in flight and what finished is committed.
 *
 * <p>At least once: a member that dies between its handler's write and the commit has those records
 * handled again by the partition's next owner; the handlers are idempotent (the payment processor
 * through expected versions and the acquirer's request keys, the webhook dispatcher through
 * deterministic delivery ids).
 */
public final class KafkaFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaFeed.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    /**
     * @param bootstrapServers the Kafka cluster
     * @param topic the relay's topic
     * @param instanceId this instance's id, part of the client id (seen in the group's description)
     * @param sessionTimeout how long the group waits for a silent member before giving its partitions to others
     * @param handlerTimeout how long one partition's run of records may take before it is handed over again
     */
    public record Settings(String bootstrapServers, String topic, String instanceId, Duration sessionTimeout,
            Duration handlerTimeout) {

        Map<String, Object> consumerConfig(String group) {
            Map<String, Object> config = new HashMap<>();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId(instanceId, group));
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            // A new group starts at the beginning of the topic: nothing published before it joined is skipped.
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
            // At least three heartbeats per session and at most a second apart: after a member's session expired, the
            // others learn of the rebalance at their next heartbeat.
            config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.clamp(sessionTimeout.toMillis() / 3, 100, 1_000));
            config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            return config;
        }
    }

    /** The client id of {@code instanceId}'s member of {@code group}: {@code ledgerflow-<instance>-<group>}. */
    public static String clientId(String instanceId, String group) {
        return "ledgerflow-" + instanceId + "-" + group;
    }

    private final String name;
    private final Settings settings;
    private final FeedBatchHandler handler;
    private final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
    private final AtomicLong handled = new AtomicLong();
    private final Thread poller;
    private volatile boolean running;
    private volatile boolean halted;
    private volatile CompletableFuture<Void> inFlight;

    private KafkaFeed(String name, Settings settings, FeedBatchHandler handler) {
        this.name = name;
        this.settings = settings;
        this.handler = handler;
        this.poller = Thread.ofPlatform().name("kafka-feed-" + name).daemon().unstarted(this::run);
    }

    /** {@code handler} over the group {@code name}, each run of records handed over at once. */
    public static KafkaFeed batched(String name, Settings settings, FeedBatchHandler handler) {
        return new KafkaFeed(name, settings, handler);
    }

    /**
     * {@code handler} over the group {@code name}, event by event: a stream's events one after the
     * other, up to {@code concurrency} streams of a partition at once (as the PostgreSQL feed does).
     */
    public static KafkaFeed perEvent(String name, Settings settings, FeedHandler handler, int concurrency) {
        return new KafkaFeed(name, settings, inStreamOrder(handler, concurrency));
    }

    static FeedBatchHandler inStreamOrder(FeedHandler handler, int concurrency) {
        return events -> {
            Map<StreamId, List<RecordedEvent>> streams = new LinkedHashMap<>();
            for (RecordedEvent event : events) {
                streams.computeIfAbsent(event.streamId(), stream -> new ArrayList<>()).add(event);
            }
            return Flux.fromIterable(streams.values())
                    .flatMap(stream -> Flux.fromIterable(stream).concatMap(handler::handle), concurrency)
                    .then();
        };
    }

    public String name() {
        return name;
    }

    /** The topic's partitions this member holds now. */
    public Set<Integer> partitions() {
        return assigned.stream().map(TopicPartition::partition).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Events handed over and completed (redeliveries included). */
    public long handled() {
        return handled.get();
    }

    /** Joins the group and starts polling. */
    public KafkaFeed start() {
        running = true;
        poller.start();
        return this;
    }

    /** Leaves gracefully: finishes the run in flight, commits it, leaves the group (its partitions move at once). */
    @Override
    public void close() {
        running = false;
        join();
    }

    /**
     * Stops as a crash would, for tests: abandons the run in flight without committing and closes the
     * client without leaving the group, so the others get the partitions only after the session timeout.
     */
    public void halt() {
        halted = true;
        running = false;
        CompletableFuture<Void> current = inFlight;
        if (current != null) {
            current.cancel(true);
        }
        join();
    }

    private void join() {
        if (Thread.currentThread() != poller && poller.isAlive()) {
            try {
                poller.join(settings.handlerTimeout().plusSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumerConfig(name));
        try {
            consumer.subscribe(List.of(settings.topic()), new Rebalance());
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
                    if (!records.isEmpty()) {
                        handle(consumer, records);
                    }
                } catch (KafkaException e) {
                    if (running) {
                        log.warn("{}: Kafka consumer failed; polling again: {}", name, e.toString());
                        pause(RETRY_DELAY);
                    }
                }
            }
        } catch (RuntimeException e) {
            log.error("{}: Kafka consumer stopped", name, e);
        } finally {
            try {
                consumer.close(halted
                        ? CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                                .withTimeout(Duration.ZERO)
                        : CloseOptions.timeout(Duration.ofSeconds(30)));
            } catch (RuntimeException e) {
                log.debug("{}: closing the Kafka consumer: {}", name, e.toString());
            }
            assigned.clear();
        }
    }

    /** Handles one poll's records, each partition in order, the partitions at once; commits what completed. */
    private void handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> done = new ConcurrentHashMap<>();
        Map<TopicPartition, Long> failed = new ConcurrentHashMap<>();
        List<Mono<Void>> runs = new ArrayList<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> run = records.records(partition);
            List<RecordedEvent> events = decode(run);
            OffsetAndMetadata next = new OffsetAndMetadata(run.getLast().offset() + 1);
            Mono<Void> handling = events.isEmpty()
                    ? Mono.empty()
                    : Mono.defer(() -> handler.handle(events)).timeout(settings.handlerTimeout());
            runs.add(handling
                    .then(Mono.fromRunnable(() -> {
                        handled.addAndGet(events.size());
                        done.put(partition, next);
                    }))
                    .onErrorResume(error -> {
                        log.warn("{}: handling {} records of partition {} from offset {} failed; they come again: {}",
                                name, run.size(), partition, run.getFirst().offset(), error.toString());
                        failed.put(partition, run.getFirst().offset());
                        return Mono.empty();
                    })
                    .then());
        }
        CompletableFuture<Void> current = Mono.when(runs).toFuture();
        inFlight = current;
        try {
            current.get();
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            return; // halted: abandon the run, commit nothing
        } catch (ExecutionException e) { // not expected: every run's error is caught above; hand them all over again
            log.error("{}: handling a poll's records failed; they come again", name, e.getCause());
            records.partitions().forEach(partition -> failed.put(partition, records.records(partition).getFirst().offset()));
            done.clear();
        } finally {
            inFlight = null;
        }
        if (halted) {
            return;
        }
        if (!done.isEmpty()) {
            try {
                consumer.commitSync(done);
            } catch (KafkaException e) {
                // The group moved these partitions meanwhile: their next owner handles the run again (idempotent).
                log.info("{}: commit of {} not accepted ({}); the partitions' next owner hands the records over again",
                        name, done.keySet(), e.toString());
            }
        }
        if (!failed.isEmpty()) {
            failed.forEach(consumer::seek);
            pause(RETRY_DELAY);
        }
    }

    private List<RecordedEvent> decode(Collection<ConsumerRecord<String, byte[]>> run) {
        List<RecordedEvent> events = new ArrayList<>(run.size());
        for (ConsumerRecord<String, byte[]> record : run) {
            try {
                events.add(CloudEvents.decode(record.value(), record.headers()));
            } catch (RuntimeException e) {
                log.warn("{}: skipping the record at {}-{} offset {}: not an event of the ledger's relay ({})", name,
                        record.topic(), record.partition(), record.offset(), e.toString());
            }
        }
        return events;
    }

    private static void pause(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Called inside poll, when nothing is in flight and every completed run is committed. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned.addAll(partitions);
            if (!partitions.isEmpty()) {
                log.info("{}: assigned partitions {}", name, partitions);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            assigned.removeAll(partitions);
            if (!partitions.isEmpty()) {
                log.info("{}: partitions {} revoked", name, partitions);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            assigned.removeAll(partitions);
            log.warn("{}: partitions {} lost (the group went on without this member)", name, partitions);
        }
    }
}
