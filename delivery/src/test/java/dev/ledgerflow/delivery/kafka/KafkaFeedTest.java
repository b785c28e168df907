package dev.ledgerflow.delivery.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A consumer group member over the relay's messages on a real broker: records decoded back to the
 * events, each stream in order, offsets committed only after the handler completed, and a member that
 * dies before its commit has its records handed over again to the partitions' next owner.
 */
class KafkaFeedTest {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final Duration SESSION = Duration.ofSeconds(6);
    static final int PARTITIONS = 3;
    static final int STREAMS = 6;
    static final int PER_STREAM = 3;
    private static final AtomicInteger topics = new AtomicInteger();

    final String bootstrap = TestKafka.bootstrapServers();
    final String topic = "kafka-feed-test-" + topics.incrementAndGet() + "-" + UUID.randomUUID();
    final String group = "group-" + UUID.randomUUID();
    final List<KafkaFeed> feeds = new ArrayList<>();
    Admin admin;
    List<RecordedEvent> published;

    @BeforeEach
    void publish() throws Exception {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
        published = new ArrayList<>();
        long position = 0;
        for (int version = 1; version <= PER_STREAM; version++) {
            for (int stream = 0; stream < STREAMS; stream++) {
                position++;
                published.add(new RecordedEvent(new LogPosition(1_000 + position, position), StreamId.of("pay_" + stream),
                        version, UUID.randomUUID(), "payment.created", "{\"n\":" + position + "}", "{\"merchant\":\"mer_x\"}",
                        Instant.parse("2026-12-01T10:00:00Z").plusMillis(position)));
            }
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            for (RecordedEvent event : published) {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, event.streamId().value(),
                        CloudEvents.toBytes(event, "/test"));
                CloudEvents.headers(record.headers(), event);
                producer.send(record).get();
            }
        }
    }

    @AfterEach
    void close() {
        feeds.forEach(KafkaFeed::close);
        admin.close();
    }

    KafkaFeed start(String instance, java.util.function.Function<RecordedEvent, Mono<Void>> handler) {
        KafkaFeed feed = KafkaFeed.perEvent(group, new KafkaFeed.Settings(bootstrap, topic, instance, SESSION,
                Duration.ofSeconds(30)), handler::apply, 4);
        feeds.add(feed);
        return feed.start();
    }

    long committed() throws Exception {
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> offsets =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        return offsets.values().stream().filter(java.util.Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
    }

    @Test
    void offsets_are_committed_only_after_the_handler_completed_and_each_stream_comes_in_order() throws Exception {
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        Sinks.Empty<Void> written = Sinks.empty();
        start("a", event -> {
            seen.add(event);
            return written.asMono();
        });

        // Every stream's first event is in the handler, none has completed: nothing is committed.
        await().atMost(WAIT).until(() -> seen.stream().map(RecordedEvent::streamId).distinct().count() == STREAMS);
        assertThat(committed()).isZero();

        written.tryEmitEmpty();
        await().atMost(WAIT).until(() -> committed() == published.size());
        assertThat(Set.copyOf(seen)).isEqualTo(Set.copyOf(published));
        Map<StreamId, List<Long>> versions = seen.stream().collect(Collectors.groupingBy(RecordedEvent::streamId,
                Collectors.mapping(RecordedEvent::streamVersion, Collectors.toList())));
        assertThat(versions).hasSize(STREAMS).allSatisfy((stream, order) -> assertThat(order).containsExactly(1L, 2L, 3L));
    }

    @Test
    void a_member_that_dies_before_its_commit_has_its_records_handed_over_again_to_the_next_owner() throws Exception {
        List<RecordedEvent> seenByA = new CopyOnWriteArrayList<>();
        // a wrote (recorded the event) but dies before its handler completes: before any commit.
        KafkaFeed a = start("a", event -> {
            seenByA.add(event);
            return Mono.never();
        });
        await().atMost(WAIT).until(() -> seenByA.size() >= STREAMS);
        a.halt();
        assertThat(committed()).isZero();

        List<RecordedEvent> seenByB = new CopyOnWriteArrayList<>();
        start("b", event -> {
            seenByB.add(event);
            return Mono.empty();
        });
        await().atMost(WAIT).until(() -> committed() == published.size());
        assertThat(seenByB).containsAll(seenByA);
        assertThat(Set.copyOf(seenByB)).isEqualTo(Set.copyOf(published));
    }
}
