package dev.ledgerflow.delivery.kafka;

import dev.ledgerflow.core.feed.FeedConsumer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How the Kafka relay connects, where it publishes and how it is tuned.
 *
 * @param bootstrapServers the Kafka cluster, e.g. {@code kafka:9092}
 * @param topic where every event of the log goes
 * @param partitions partitions of the topic when the relay creates it (an existing topic is left as it is)
 * @param replicationFactor replicas of the topic when the relay creates it
 * @param source the CloudEvents {@code source} of every message, e.g. {@code /ledgerflow}
 * @param deliveryTimeout how long the producer retries one event before it reports a failure; the
 *     relay then starts over from its checkpoint with a new producer
 * @param sendBlockMax how long a send may wait for topic metadata or buffer space
 * @param lingerMs how long the producer waits to fill a batch
 * @param feed the feed consumer's tuning; its concurrency is the number of sends awaiting acknowledgement
 */
public record RelaySettings(
        String bootstrapServers,
        String topic,
        int partitions,
        short replicationFactor,
        String source,
        Duration deliveryTimeout,
        Duration sendBlockMax,
        int lingerMs,
        FeedConsumer.Settings feed) {

    public static final String DEFAULT_TOPIC = "ledgerflow.events";
    public static final String DEFAULT_SOURCE = "/ledgerflow";

    public RelaySettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("the Kafka relay needs bootstrap servers");
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("the Kafka relay needs a topic");
        }
        if (partitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("partitions and replication factor must be positive");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("the CloudEvents source must not be blank");
        }
        Objects.requireNonNull(deliveryTimeout, "deliveryTimeout");
        Objects.requireNonNull(sendBlockMax, "sendBlockMax");
        Objects.requireNonNull(feed, "feed");
        if (lingerMs < 0) {
            throw new IllegalArgumentException("lingerMs must not be negative");
        }
        if (deliveryTimeout.toMillis() < requestTimeoutMs(deliveryTimeout) + lingerMs) {
            throw new IllegalArgumentException("deliveryTimeout must exceed the request timeout and linger");
        }
        if (feed.handlerTimeout().compareTo(deliveryTimeout.plus(sendBlockMax)) <= 0) {
            // A handler timed out by the feed consumer while the producer still holds the record
            // would re-send it behind itself: harmless, but the producer's own verdict is clearer.
            throw new IllegalArgumentException("the feed handler timeout must exceed deliveryTimeout + sendBlockMax");
        }
    }

    /**
     * The defaults for {@code bootstrapServers}: topic {@code ledgerflow.events} with 6 partitions and
     * 1 replica, source {@code /ledgerflow}, 2 min delivery timeout, 10 s send block, 5 ms linger, 1024
     * sends awaiting acknowledgement.
     */
    public static RelaySettings defaults(String bootstrapServers) {
        Duration deliveryTimeout = Duration.ofMinutes(2);
        Duration sendBlockMax = Duration.ofSeconds(10);
        return new RelaySettings(bootstrapServers, DEFAULT_TOPIC, 6, (short) 1, DEFAULT_SOURCE, deliveryTimeout,
                sendBlockMax, 5, feedSettings(1024, deliveryTimeout, sendBlockMax));
    }

    /** The feed tuning that fits a delivery timeout: the handler may wait for the producer's verdict. */
    public static FeedConsumer.Settings feedSettings(int sendsInFlightMax, Duration deliveryTimeout, Duration sendBlockMax) {
        FeedConsumer.Settings defaults = FeedConsumer.Settings.defaults();
        return new FeedConsumer.Settings(sendsInFlightMax, defaults.checkpointEventsMax(), defaults.checkpointInterval(),
                deliveryTimeout.plus(sendBlockMax).plusSeconds(30), defaults.restartDelayFirst(), defaults.restartDelayMax());
    }

    public RelaySettings withTopic(String otherTopic) {
        return new RelaySettings(bootstrapServers, otherTopic, partitions, replicationFactor, source, deliveryTimeout,
                sendBlockMax, lingerMs, feed);
    }

    public RelaySettings withPartitions(int otherPartitions, short otherReplicationFactor) {
        return new RelaySettings(bootstrapServers, topic, otherPartitions, otherReplicationFactor, source,
                deliveryTimeout, sendBlockMax, lingerMs, feed);
    }

    public RelaySettings withSource(String otherSource) {
        return new RelaySettings(bootstrapServers, topic, partitions, replicationFactor, otherSource, deliveryTimeout,
                sendBlockMax, lingerMs, feed);
    }

    /** The same with another delivery timeout and send block, and a feed handler timeout to match. */
    public RelaySettings withDeliveryTimeout(Duration otherDeliveryTimeout, Duration otherSendBlockMax) {
        return new RelaySettings(bootstrapServers, topic, partitions, replicationFactor, source, otherDeliveryTimeout,
                otherSendBlockMax, lingerMs,
                feedSettings(feed.concurrency(), otherDeliveryTimeout, otherSendBlockMax));
    }

    /**
     * The producer's configuration: idempotent (no duplicate from the producer's own retries), one
     * request in flight per broker (no reordering within a partition, whatever the broker answers),
     * acknowledged by every in-sync replica, retrying until the delivery timeout.
     */
    public Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "ledgerflow-kafka-relay");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        // One produce request in flight per broker. With more, a stream's events can land out of order:
        // when the first request of a new producer fails with a retriable error (a partition the broker
        // has not finished creating answers NOT_LEADER_OR_FOLLOWER), a broker without state for that
        // producer accepts the next request's later sequence numbers, and the first one then fails with
        // OUT_OF_ORDER_SEQUENCE_NUMBER until the delivery timeout (KAFKA-15591, KAFKA-14359). With one
        // request in flight a partition's next batch waits until the one before it is written.
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        // So each of those requests carries more: up to 128 KiB per partition (~160 events) instead of
        // the default 16 KiB, which matters when the brokers are a network round trip away.
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        config.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryTimeout.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeoutMs(deliveryTimeout));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, sendBlockMax.toMillis());
        config.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return config;
    }

    /** The admin client's configuration, for creating the topic and for health checks. */
    public Map<String, Object> adminConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "ledgerflow-kafka-relay-admin");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        return config;
    }

    /** Kafka's 30 s request timeout, shortened for short delivery timeouts (tests). */
    private static int requestTimeoutMs(Duration deliveryTimeout) {
        return (int) Math.min(30_000, Math.max(1_000, deliveryTimeout.toMillis() / 2));
    }
}
