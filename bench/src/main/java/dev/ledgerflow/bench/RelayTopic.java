package dev.ledgerflow.bench;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the Kafka relay wrote, read back with a plain Kafka consumer and held against the log in
 * PostgreSQL: the whole topic, not a sample. Three checks: the partitions' end offsets add up to at
 * least the log's events; every event of the log (up to the relay's checkpoint) is on the topic as a
 * message with its position, stream and stream version; and every stream's messages sit on one
 * partition in stream order (versions 1, 2, 3 … with no gap), where a repeat may only be an earlier
 * version again: the relay's at-least-once re-send, which a consumer de-duplicating by id skips.
 */
final class RelayTopic {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration READ_MAX = Duration.ofMinutes(15);
    private static final int EXAMPLES_MAX = 5;

    private final String bootstrapServers;
    private final String topic;
    private final Checks checks;

    RelayTopic(String bootstrapServers, String topic, Checks checks) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.checks = checks;
    }

    /** The fields of a message the checks need; the {@code data} object is never parsed. */
    private record Message(String id, String subject, long position, long streamVersion) {}

    /** Where a stream's messages were found, and the highest version among them. */
    private static final class StreamSeen {
        final int partition;
        long version;

        StreamSeen(int partition) {
            this.partition = partition;
        }
    }

    /** What reading the topic found, by global position (the arrays are indexed by it). */
    private static final class Found {
        final long[] streamVersion;
        final int[] subjectHash;
        final Map<String, StreamSeen> streams = new HashMap<>();
        final List<String> disorder = new ArrayList<>();
        long messages;
        long repeats;
        long disorderCount;
        long beyondLog;

        Found(int positionMax) {
            streamVersion = new long[positionMax + 1];
            subjectHash = new int[positionMax + 1];
        }

        void disorder(String what) {
            disorderCount++;
            if (disorder.size() < EXAMPLES_MAX) {
                disorder.add(what);
            }
        }
    }

    /**
     * Reads the whole topic and checks it against the events of the log up to and including the
     * relay's checkpoint {@code (txid, position)}.
     */
    List<Checks.Outcome> check(long txid, long position) throws Exception {
        long logEvents;
        long positionMax;
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select count(*), coalesce(max(position), 0)"
                + " from events where (txid, position) <= (?::text::xid8, ?)")) {
            s.setString(1, Long.toString(txid));
            s.setLong(2, position);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                logEvents = rs.getLong(1);
                positionMax = rs.getLong(2);
            }
        }
        if (positionMax >= Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("positions up to " + positionMax + " do not fit the check's arrays");
        }
        List<Checks.Outcome> outcomes = new ArrayList<>();
        Found found = new Found((int) positionMax);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long endSum = end.values().stream().mapToLong(Long::longValue).sum();
            long firstSum = first.values().stream().mapToLong(Long::longValue).sum();
            outcomes.add(new Checks.Outcome("relay: the topic's partition end offsets add up to at least the log's events",
                    endSum >= logEvents, String.format("%,d (first offsets add up to %,d) on %d partitions of %s for %,d events of the log",
                            endSum, firstSum, partitions.size(), topic, logEvents)));
            long started = System.nanoTime();
            read(consumer, end, started + READ_MAX.toNanos(), found);
            System.out.printf("  read %,d messages of %s in %.1f s%n", found.messages, topic, (System.nanoTime() - started) / 1e9);
        }
        outcomes.add(everyEventFound(found, txid, position, logEvents));
        outcomes.add(new Checks.Outcome("relay: each stream on one partition in stream order (1, 2, 3 … no gap; a repeat only of an"
                + " earlier version)", found.disorderCount == 0, String.format("%,d messages, %,d streams, %,d repeats (re-sends), %,d"
                + " out of order%s%s", found.messages, found.streams.size(), found.repeats, found.disorderCount,
                found.disorder.isEmpty() ? "" : ": " + String.join("; ", found.disorder),
                found.beyondLog == 0 ? "" : String.format("; %,d messages after the relay's checkpoint, not checked", found.beyondLog))));
        return outcomes;
    }

    /** Reads every partition from its beginning to {@code end}; a poll hands each partition's messages over in offset order. */
    private void read(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end, long deadline, Found found) {
        consumer.assign(end.keySet());
        consumer.seekToBeginning(end.keySet());
        while (end.entrySet().stream().anyMatch(partition -> consumer.position(partition.getKey()) < partition.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("reading " + topic + " took longer than " + READ_MAX);
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                see(record, found);
            }
        }
    }

    /** Records one message in {@code found} and checks it follows its stream's messages before it. */
    private static void see(ConsumerRecord<String, byte[]> record, Found found) {
        int partition = record.partition();
        Message message = parse(record.value());
        found.messages++;
        if (!message.subject().equals(record.key())) {
            found.disorder(message.id() + " has key " + record.key() + " but subject " + message.subject());
        }
        if (message.position() >= found.streamVersion.length) {
            found.beyondLog++;
            return;
        }
        found.streamVersion[(int) message.position()] = message.streamVersion();
        found.subjectHash[(int) message.position()] = message.subject().hashCode();
        StreamSeen stream = found.streams.computeIfAbsent(message.subject(), subject -> new StreamSeen(partition));
        if (stream.partition != partition) {
            found.disorder(message.subject() + " on partitions " + stream.partition + " and " + partition);
        } else if (message.streamVersion() <= stream.version) {
            found.repeats++;
        } else if (message.streamVersion() == stream.version + 1) {
            stream.version = message.streamVersion();
        } else {
            found.disorder(message.subject() + " version " + message.streamVersion() + " at offset " + record.offset() + " of partition "
                    + partition + " after version " + stream.version);
            stream.version = message.streamVersion();
        }
    }

    /** Every event of the log up to the checkpoint must have been seen with its stream and stream version. */
    private Checks.Outcome everyEventFound(Found found, long txid, long position, long logEvents) throws Exception {
        long missing = 0;
        long mismatched = 0;
        List<String> examples = new ArrayList<>();
        try (Connection c = checks.connect()) {
            c.setAutoCommit(false); // a cursor: the log is read in pages, not held in memory
            try (PreparedStatement s = c.prepareStatement("select position, stream_id, stream_version from events"
                    + " where (txid, position) <= (?::text::xid8, ?)")) {
                s.setFetchSize(10_000);
                s.setString(1, Long.toString(txid));
                s.setLong(2, position);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        int at = (int) rs.getLong(1);
                        if (found.streamVersion[at] == 0) {
                            missing++;
                            if (examples.size() < EXAMPLES_MAX) {
                                examples.add("position " + at + " (" + rs.getString(2) + " version " + rs.getLong(3) + ") missing");
                            }
                        } else if (found.streamVersion[at] != rs.getLong(3) || found.subjectHash[at] != rs.getString(2).hashCode()) {
                            mismatched++;
                            if (examples.size() < EXAMPLES_MAX) {
                                examples.add("position " + at + " carries version " + found.streamVersion[at] + " where the log has "
                                        + rs.getString(2) + " version " + rs.getLong(3));
                            }
                        }
                    }
                }
            }
            c.commit();
        }
        return new Checks.Outcome("relay: every event of the log is on the topic with its stream and stream version",
                missing == 0 && mismatched == 0, String.format("%,d events of the log up to the relay's checkpoint: %,d missing, %,d with"
                        + " another stream or version%s", logEvents, missing, mismatched,
                        examples.isEmpty() ? "" : ": " + String.join("; ", examples)));
    }

    /** The message's id, subject, position and stream version, read from the top level of the CloudEvent. */
    private static Message parse(byte[] value) {
        String id = null;
        String subject = null;
        long position = -1;
        long streamVersion = -1;
        try (JsonParser parser = JSON.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("a message that is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                switch (name) {
                    case "id" -> id = parser.getString();
                    case "subject" -> subject = parser.getString();
                    case "ledgerposition" -> position = Long.parseLong(parser.getString());
                    case "ledgerstreamversion" -> streamVersion = Long.parseLong(parser.getString());
                    default -> parser.skipChildren();
                }
                if (id != null && subject != null && position > 0 && streamVersion > 0) {
                    return new Message(id, subject, position, streamVersion); // the data object, last, is not needed
                }
            }
        }
        throw new IllegalStateException("a message without id, subject, ledgerposition or ledgerstreamversion: "
                + new String(value, 0, Math.min(value.length, 300), StandardCharsets.UTF_8));
    }

    private Properties consumerConfig() {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "ledgerflow-bench-relay-check");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false); // partitions are assigned, no group: nothing to commit
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return config;
    }
}
