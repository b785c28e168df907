package dev.ledgerflow.delivery.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.feed.FeedConsumer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The relay's producer settings are the ones its guarantees rest on. */
class RelaySettingsTest {

    private final RelaySettings defaults = RelaySettings.defaults("kafka:9092");

    @Test
    void the_producer_is_idempotent_acknowledged_by_all_replicas_and_retries_until_the_delivery_timeout() {
        var config = defaults.producerConfig();

        assertThat(config).containsEntry("enable.idempotence", true)
                .containsEntry("acks", "all")
                .containsEntry("retries", Integer.MAX_VALUE)
                .containsEntry("delivery.timeout.ms", 120_000)
                .containsEntry("bootstrap.servers", "kafka:9092");
    }

    @Test
    void the_producer_has_one_request_in_flight_so_a_retried_first_batch_is_never_overtaken() {
        // With more, a new producer's first batch that fails with a retriable error can be overtaken by
        // the next one, which a broker without state for that producer accepts (KAFKA-15591): the
        // stream's first events would then reach the topic after later ones, or only after the
        // delivery timeout. KafkaRelayTest hit exactly this under load with 5 in flight.
        assertThat(defaults.producerConfig()).containsEntry("max.in.flight.requests.per.connection", 1)
                .containsEntry("batch.size", 128 * 1024); // more per request, to make up for one at a time
    }

    @Test
    void the_feed_waits_longer_for_a_send_than_the_producer_may_take_to_give_up() {
        RelaySettings shortened = defaults.withDeliveryTimeout(Duration.ofSeconds(3), Duration.ofSeconds(2));

        assertThat(defaults.feed().handlerTimeout()).isGreaterThan(defaults.deliveryTimeout().plus(defaults.sendBlockMax()));
        assertThat(shortened.feed().handlerTimeout()).isGreaterThan(Duration.ofSeconds(5));
        assertThat(shortened.producerConfig()).containsEntry("delivery.timeout.ms", 3_000);
    }

    @Test
    void settings_whose_feed_would_give_up_before_the_producer_are_refused() {
        FeedConsumer.Settings impatient = FeedConsumer.Settings.defaults().withHandlerTimeout(Duration.ofSeconds(30));

        assertThatThrownBy(() -> new RelaySettings("kafka:9092", "t", 1, (short) 1, "/s", Duration.ofMinutes(2),
                        Duration.ofSeconds(10), 5, impatient))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("handler timeout");
        assertThatThrownBy(() -> RelaySettings.defaults(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withPartitions(0, (short) 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
