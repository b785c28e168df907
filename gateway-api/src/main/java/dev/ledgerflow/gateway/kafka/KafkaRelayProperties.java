package dev.ledgerflow.gateway.kafka;

import dev.ledgerflow.delivery.kafka.RelaySettings;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The Kafka relay's settings, bound from {@code ledger.kafka.*} ({@code LEDGER_KAFKA_TOPIC}, …). The
 * relay itself is on only when {@code ledger.kafka-bootstrap} ({@code LEDGER_KAFKA_BOOTSTRAP}) is set.
 *
 * @param topic the topic every event goes to
 * @param partitions partitions of the topic when the relay creates it
 * @param replicationFactor replicas of the topic when the relay creates it
 * @param source the CloudEvents {@code source} attribute of every message
 * @param deliveryTimeout how long the producer retries an event before the relay starts over from its checkpoint
 * @param sendsInFlightMax sends awaiting acknowledgement at once
 */
@ConfigurationProperties("ledger.kafka")
public record KafkaRelayProperties(
        @DefaultValue(RelaySettings.DEFAULT_TOPIC) String topic,
        @DefaultValue("6") int partitions,
        @DefaultValue("1") short replicationFactor,
        @DefaultValue(RelaySettings.DEFAULT_SOURCE) String source,
        @DefaultValue("2m") Duration deliveryTimeout,
        @DefaultValue("1024") int sendsInFlightMax) {

    RelaySettings toSettings(String bootstrapServers) {
        RelaySettings defaults = RelaySettings.defaults(bootstrapServers);
        return new RelaySettings(bootstrapServers, topic, partitions, replicationFactor, source, deliveryTimeout,
                defaults.sendBlockMax(), defaults.lingerMs(),
                RelaySettings.feedSettings(sendsInFlightMax, deliveryTimeout, defaults.sendBlockMax()));
    }
}
