package dev.ledgerflow.delivery.kafka;

import static dev.ledgerflow.delivery.kafka.RelayFixture.WAIT;
import static dev.ledgerflow.delivery.kafka.RelayFixture.allOf;
import static dev.ledgerflow.delivery.kafka.RelayFixture.assertCompleteInPerStreamOrder;
import static dev.ledgerflow.delivery.kafka.RelayFixture.readTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.delivery.kafka.RelayFixture.Message;
import dev.ledgerflow.testing.EmbeddedKafkaServer;
import dev.ledgerflow.testing.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Schedulers;

/** The Kafka relay against a real PostgreSQL event store and a real (in-JVM, KRaft) Kafka broker. */
class KafkaRelayTest {

    private final RelayFixture fixture = new RelayFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Nested
    class OnARunningBroker {

        private final String bootstrap = TestKafka.bootstrapServers();
        private final String topic = RelayFixture.newTopic();
        private final RelaySettings settings = RelaySettings.defaults(bootstrap)
                .withTopic(topic)
                .withPartitions(3, (short) 1)
                .withSource("/ledgerflow-test");

        @Test
        void every_event_of_the_log_arrives_once_in_stream_order_as_a_cloudevent_keyed_by_its_stream() throws Exception {
            fixture.appendWorkload("pay_before_", 6, 15); // already in the log when the relay starts
            KafkaRelay relay = fixture.startRelay(settings);
            fixture.appendWorkload("pay_live_", 6, 15); // appended while it runs

            List<RecordedEvent> log = fixture.log();
            assertThat(log).hasSize(180);
            List<Message> messages = readTopic(bootstrap, topic, allOf(log));

            assertThat(messages).hasSize(log.size()); // no failure, so no redelivery
            assertCompleteInPerStreamOrder(log, messages);
            Map<String, RecordedEvent> eventsById = log.stream()
                    .collect(Collectors.toMap(e -> "evt_" + e.eventId().toString().replace("-", ""), Function.identity()));
            for (Message message : messages) {
                assertIsTheCloudEventOf(eventsById.get(message.id()), message);
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                assertThat(description.partitions()).hasSize(3);
            }
            LogPosition last = log.getLast().logPosition();
            await().atMost(WAIT).until(() -> last.equals(fixture.checkpoints.load(KafkaRelay.CONSUMER_NAME).block()));
            assertThat(fixture.meters.get("ledger.kafka.relay.sent").counter().count()).isEqualTo(180);
            await().atMost(WAIT).until(() -> relay.lag().events() == 0
                    && fixture.meters.get("ledger.kafka.relay.lag.events").gauge().value() == 0);
        }

        @Test
        void a_relay_stopped_mid_stream_and_started_again_resumes_after_its_checkpoint() {
            fixture.appendWorkload("pay_first_", 5, 20);
            KafkaRelay first = fixture.startRelay(settings);
            var more = Schedulers.boundedElastic().schedule(() -> fixture.appendWorkload("pay_second_", 5, 20));
            await().atMost(WAIT).until(() -> first.consumer().status().eventsFinished() >= 40);
            first.close();
            LogPosition saved = fixture.checkpoints.load(KafkaRelay.CONSUMER_NAME).block(WAIT);
            await().atMost(WAIT).until(more::isDisposed);
            fixture.appendWorkload("pay_third_", 5, 20);
            List<RecordedEvent> log = fixture.log();
            long afterCheckpoint = log.stream().filter(e -> e.logPosition().isAfter(saved)).count();
            assertThat(afterCheckpoint).as("the first relay stopped mid-stream").isBetween(1L, 299L);

            KafkaRelay second = fixture.startRelay(settings);

            List<Message> messages = readTopic(bootstrap, topic, allOf(log));
            assertCompleteInPerStreamOrder(log, messages);
            Map<String, Long> arrivals = messages.stream().collect(Collectors.groupingBy(Message::id, Collectors.counting()));
            for (RecordedEvent event : log) {
                if (!event.logPosition().isAfter(saved)) {
                    assertThat(arrivals.get(idOf(event))).as("checkpointed %s is not sent again", event.position())
                            .isEqualTo(1);
                }
            }
            await().atMost(WAIT).until(() -> log.getLast().logPosition().equals(second.consumer().checkpoint()));
            assertThat(second.consumer().status().eventsFinished()).isEqualTo(afterCheckpoint);
        }

        @Test
        void after_a_crash_that_lost_the_latest_checkpoints_the_relay_sends_again_what_followed_the_saved_one() {
            fixture.appendWorkload("pay_crash_", 4, 25);
            KafkaRelay first = fixture.startRelay(settings);
            List<RecordedEvent> log = fixture.log();
            await().atMost(WAIT).until(() -> log.getLast().logPosition().equals(first.consumer().checkpoint()));
            first.close();
            // A crash loses what was relayed after the last save: put the checkpoint back to a third of the way.
            RecordedEvent lastSaved = log.get(log.size() / 3);
            fixture.checkpoints.reset(KafkaRelay.CONSUMER_NAME, lastSaved.logPosition()).block(WAIT);

            KafkaRelay second = fixture.startRelay(settings);
            await().atMost(WAIT).until(() -> log.getLast().logPosition().equals(second.consumer().checkpoint()));

            List<Message> messages = readTopic(bootstrap, topic, all -> all.size() >= 2 * log.size() - log.size() / 3 - 1);
            assertCompleteInPerStreamOrder(log, messages);
            Map<String, Long> arrivals = messages.stream().collect(Collectors.groupingBy(Message::id, Collectors.counting()));
            for (RecordedEvent event : log) {
                assertThat(arrivals.get(idOf(event))).as("event at %d", event.position())
                        .isEqualTo(event.logPosition().isAfter(lastSaved.logPosition()) ? 2 : 1);
            }
        }
    }

    @Nested
    class WhenTheBrokerGoesDown {

        @TempDir
        Path kafkaData;

        @Test
        void every_event_arrives_in_stream_order_after_the_broker_comes_back_and_repeats_keep_their_id() {
            EmbeddedKafkaServer kafka = EmbeddedKafkaServer.start(kafkaData, 0);
            try {
                String topic = RelayFixture.newTopic();
                // A short delivery timeout: while the broker is away, sends fail for good and the relay
                // starts over from its checkpoint with new producers, the path that must not reorder.
                RelaySettings settings = RelaySettings.defaults(kafka.bootstrapServers())
                        .withTopic(topic)
                        .withPartitions(3, (short) 1)
                        .withDeliveryTimeout(Duration.ofSeconds(3), Duration.ofSeconds(2));
                KafkaRelay relay = fixture.startRelay(settings);
                fixture.appendWorkload("pay_up_", 8, 10);
                await().atMost(WAIT).until(() -> relay.consumer().status().eventsFinished() >= 80);

                kafka.stop();
                fixture.appendWorkload("pay_down_", 8, 10); // sent into the void, then failed
                await().atMost(WAIT).until(() -> fixture.meters.get("ledger.kafka.relay.send.failures").counter().count() >= 1);
                fixture.appendWorkload("pay_more_", 4, 10);
                kafka.start();
                fixture.appendWorkload("pay_back_", 8, 10);

                List<RecordedEvent> log = fixture.log();
                assertThat(log).hasSize(280);
                await().atMost(WAIT).until(() -> log.getLast().logPosition().equals(relay.consumer().checkpoint()));
                List<Message> messages = readTopic(kafka.bootstrapServers(), topic, allOf(log));
                assertCompleteInPerStreamOrder(log, messages);
                assertThat(relay.consumer().status().restarts()).isPositive();
            } finally {
                fixture.close();
                kafka.close();
            }
        }
    }

    private static String idOf(RecordedEvent event) {
        return "evt_" + event.eventId().toString().replace("-", "");
    }

    private static void assertIsTheCloudEventOf(RecordedEvent event, Message message) {
        var json = message.json();
        assertThat(message.key()).isEqualTo(event.streamId().value());
        assertThat(message.contentType()).isEqualTo("application/cloudevents+json; charset=UTF-8");
        assertThat(json.get("specversion").asString()).isEqualTo("1.0");
        assertThat(json.get("id").asString()).isEqualTo(idOf(event));
        assertThat(json.get("source").asString()).isEqualTo("/ledgerflow-test");
        assertThat(json.get("type").asString()).isEqualTo("dev.ledgerflow." + event.type());
        assertThat(json.get("subject").asString()).isEqualTo(event.streamId().value());
        assertThat(Instant.parse(json.get("time").asString())).isEqualTo(event.recordedAt());
        assertThat(json.get("datacontenttype").asString()).isEqualTo("application/json");
        assertThat(json.get("partitionkey").asString()).isEqualTo(event.streamId().value());
        assertThat(json.get("ledgerposition").asString()).isEqualTo(Long.toString(event.position()));
        assertThat(json.get("ledgerstreamversion").asString()).isEqualTo(Long.toString(event.streamVersion()));
        assertThat(json.get("ledgermerchant").asString()).isEqualTo(RelayFixture.MERCHANT);
        assertThat(json.get("data")).isEqualTo(LedgerJson.mapper().readTree(event.payloadJson()).get("data"));
        // CloudEvents: attribute names are lower-case letters and digits only.
        json.propertyNames().forEach(name -> assertThat(name).matches("[a-z0-9]{1,20}"));
    }
}
