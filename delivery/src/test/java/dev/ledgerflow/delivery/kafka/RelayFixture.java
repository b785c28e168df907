package dev.ledgerflow.delivery.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;

/** A real event store on a fresh database, relays over it, and a plain Kafka consumer of their topic. */
final class RelayFixture implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(90);
    static final String MERCHANT = "mer_relaytest";

    private static final AtomicInteger topics = new AtomicInteger();

    final ConnectionPool pool;
    final PostgresEventStore store;
    final CheckpointStore checkpoints;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<KafkaRelay> relays = new ArrayList<>();

    RelayFixture() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "kafka-relay-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "kafka-relay-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        checkpoints = new CheckpointStore(pool);
    }

    /** A topic name no other test uses. */
    static String newTopic() {
        return "relay-test-" + ProcessHandle.current().pid() + "-" + topics.incrementAndGet();
    }

    KafkaRelay startRelay(RelaySettings settings) {
        KafkaRelay relay = new KafkaRelay(settings, store, checkpoints, new RelayLag(pool, Clock.systemUTC()), meters);
        relays.add(relay);
        return relay.start();
    }

    /**
     * Appends {@code eventsPerStream} events to each of {@code streams} streams, the streams
     * concurrently and each stream's events one after another, so that the feed interleaves them.
     */
    void appendWorkload(String prefix, int streams, int eventsPerStream) {
        Flux.range(0, streams)
                .flatMap(s -> Flux.range(1, eventsPerStream)
                        .concatMap(n -> store.append(StreamId.of(prefix + s),
                                n == 1 ? ExpectedVersion.noStream() : ExpectedVersion.exactly(n - 1),
                                List.of(event(prefix + s, n)))), streams)
                .doOnNext(result -> assertThat(result).isInstanceOf(AppendResult.Appended.class))
                .blockLast(WAIT);
    }

    /** An event in the shape of the codec's payloads: {"event": …, "data": the public object}. */
    static NewEvent event(String stream, int n) {
        String payload = "{\"event\": {\"kind\": \"test\", \"n\": " + n + "}, \"data\": {\"id\": \"" + stream
                + "\", \"object\": \"payment\", \"n\": " + n + ", \"amount\": " + (100 * n) + "}}";
        return new NewEvent(UUID.randomUUID(), n == 1 ? "payment.created" : "payment.succeeded", payload,
                "{\"merchant\": \"" + MERCHANT + "\"}");
    }

    /** Every event of the log, in feed order. */
    List<RecordedEvent> log() {
        return store.readLog(LogPosition.START, 100_000).collectList().block(WAIT);
    }

    /** Every message of {@code topic}, partition by partition in offset order, once {@code enough} holds. */
    static List<Message> readTopic(String bootstrapServers, String topic, java.util.function.Predicate<List<Message>> enough) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            // A topic the relay has just created may not be in the broker's metadata yet: ask until it is.
            List<TopicPartition> partitions = List.of();
            long known = System.nanoTime() + WAIT.toNanos();
            while (partitions.isEmpty() && System.nanoTime() < known) {
                partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
                if (partitions.isEmpty()) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions after " + WAIT);
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<Message> messages = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!enough.test(messages) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(250))) {
                    messages.add(Message.of(record));
                }
            }
            // A little longer: whatever else is on the topic (a duplicate too many) shows up as well.
            long settle = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < settle) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(250))) {
                    messages.add(Message.of(record));
                }
            }
            return messages;
        }
    }

    /** Until every event of {@code log} arrived at least once. */
    static java.util.function.Predicate<List<Message>> allOf(List<RecordedEvent> log) {
        return messages -> messages.stream().map(Message::id).distinct().count() >= log.size();
    }

    /**
     * The guarantee: every event arrived; per stream the messages come in stream order, a message
     * only ever repeating one that arrived before (a redelivery, with the same id and content).
     */
    static void assertCompleteInPerStreamOrder(List<RecordedEvent> log, List<Message> messages) {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (RecordedEvent event : log) {
            expected.computeIfAbsent(event.streamId().value(), s -> new ArrayList<>()).add("evt_" + event.eventId()
                    .toString().replace("-", ""));
        }
        Map<String, List<Message>> byStream = new LinkedHashMap<>();
        Map<String, String> contentById = new HashMap<>();
        for (Message message : messages) {
            byStream.computeIfAbsent(message.key(), s -> new ArrayList<>()).add(message);
            String earlier = contentById.putIfAbsent(message.id(), message.value());
            assertThat(earlier == null || earlier.equals(message.value()))
                    .as("a message repeating id %s repeats its content", message.id()).isTrue();
        }
        assertThat(byStream.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (var stream : expected.entrySet()) {
            List<Message> arrived = byStream.get(stream.getKey());
            long highest = 0;
            for (Message message : arrived) {
                long version = message.streamVersion();
                assertThat(version)
                        .as("stream %s: version %d after %d (no gap, no event ahead of an earlier one)",
                                stream.getKey(), version, highest)
                        .isLessThanOrEqualTo(highest + 1);
                highest = Math.max(highest, version);
            }
            List<String> firstArrivals = arrived.stream().map(Message::id).distinct().toList();
            assertThat(firstArrivals).as("stream %s in order", stream.getKey()).containsExactlyElementsOf(stream.getValue());
        }
    }

    private boolean closed;

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        relays.reversed().forEach(KafkaRelay::close);
        store.close();
        pool.dispose();
    }

    /** One message of the topic. */
    record Message(int partition, long offset, String key, String value, JsonNode json, String contentType) {

        static Message of(ConsumerRecord<String, String> record) {
            Header header = record.headers().lastHeader("content-type");
            return new Message(record.partition(), record.offset(), record.key(), record.value(),
                    LedgerJson.mapper().readTree(record.value()),
                    header == null ? null : new String(header.value(), StandardCharsets.UTF_8));
        }

        String id() {
            return json.get("id").asString();
        }

        long streamVersion() {
            return Long.parseLong(json.get("ledgerstreamversion").asString());
        }
    }
}
