package dev.ledgerflow.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.TestServers;
import dev.ledgerflow.testing.EmbeddedKafkaServer;
import dev.ledgerflow.testing.TestKafka;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** The service with {@code LEDGER_KAFKA_BOOTSTRAP} set: the relay runs, publishes, and shows in health and metrics. */
class KafkaRelayApiTest {

    @Nested
    @ApiTest
    class WithKafkaConfigured {

        private static final String TOPIC = "api-relay-" + ProcessHandle.current().pid();

        @Autowired
        WebTestClient http;

        @Autowired
        Map<String, FeedConsumer> feedConsumers;

        @DynamicPropertySource
        static void servers(DynamicPropertyRegistry registry) {
            TestServers.register(registry);
            registry.add("ledger.kafka-bootstrap", TestKafka::bootstrapServers);
            registry.add("ledger.kafka.topic", () -> TOPIC);
            registry.add("ledger.kafka.partitions", () -> "2");
        }

        @Test
        void health_reports_kafka_up_with_the_relay_topic() {
            http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("UP")
                    .jsonPath("$.components.kafka.status").isEqualTo("UP")
                    .jsonPath("$.components.kafka.details.topic").isEqualTo(TOPIC)
                    .jsonPath("$.components.kafka.details.brokers").isEqualTo(1);
        }

        @Test
        void an_account_opened_over_the_api_is_published_as_a_cloudevent_with_the_account_as_data() {
            ApiClient merchant = ApiClient.newMerchant(http);
            Map<String, Object> account = merchant.created("/v1/accounts", "{\"currency\":\"EUR\"}");
            String accountId = (String) account.get("id");

            JsonNode published = firstMessageOf(accountId);

            assertThat(published.get("type").asString()).isEqualTo("dev.ledgerflow.account.created");
            assertThat(published.get("subject").asString()).isEqualTo(accountId);
            assertThat(published.get("source").asString()).isEqualTo("/ledgerflow");
            assertThat(published.get("ledgermerchant").asString()).isEqualTo(merchant.merchantId);
            assertThat(published.get("data")).isEqualTo(LedgerJson.mapper().valueToTree(account));
        }

        @Test
        void the_relay_is_a_feed_consumer_bean_and_reports_its_metrics() {
            assertThat(feedConsumers.values()).extracting(FeedConsumer::name).contains("kafka-relay");
            http.get().uri("/actuator/metrics/ledger.kafka.relay.lag.events").exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.availableTags[0].values[0]").isEqualTo(TOPIC);
            http.get().uri("/actuator/metrics/ledger.kafka.relay.sent").exchange().expectStatus().isOk();
        }

        private JsonNode firstMessageOf(String key) {
            Properties config = new Properties();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
            config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                List<TopicPartition> partitions = new ArrayList<>();
                while (partitions.isEmpty() && System.nanoTime() < deadline) { // the relay creates the topic
                    consumer.partitionsFor(TOPIC, Duration.ofSeconds(5))
                            .forEach(p -> partitions.add(new TopicPartition(TOPIC, p.partition())));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                while (System.nanoTime() < deadline) {
                    for (var record : consumer.poll(Duration.ofMillis(250))) {
                        if (key.equals(record.key())) {
                            return LedgerJson.mapper().readTree(record.value());
                        }
                    }
                }
            }
            throw new AssertionError("no message keyed " + key + " on " + TOPIC + " within 60 s");
        }
    }

    @Nested
    @ApiTest
    @DirtiesContext // its broker is stopped after the class: the service is closed, not left cached and retrying
    class WithKafkaDown {

        private static EmbeddedKafkaServer kafka;

        @Autowired
        WebTestClient http;

        @DynamicPropertySource
        static void servers(DynamicPropertyRegistry registry) throws Exception {
            kafka = EmbeddedKafkaServer.start(Files.createTempDirectory("kafka-down"), 0);
            TestServers.register(registry);
            registry.add("ledger.kafka-bootstrap", kafka::bootstrapServers);
        }

        @AfterAll
        static void stopKafka() {
            kafka.close();
        }

        @Test
        void health_is_down_when_kafka_does_not_answer() {
            http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.components.kafka.status").isEqualTo("UP");

            kafka.stop();

            http.get().uri("/actuator/health").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isEqualTo(503)
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("DOWN")
                    .jsonPath("$.components.kafka.status").isEqualTo("DOWN")
                    .jsonPath("$.components.postgres.status").isEqualTo("UP");
        }
    }
}
