package dev.ledgerflow.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.delivery.kafka.KafkaFeed;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * What {@code /admin/cluster} shows of the Kafka consumer groups when the brokers do not answer, and how a
 * member's instance is read from its client id. The view with a broker answering is tested over HTTP in
 * {@code KafkaScaleOutTest}.
 */
class KafkaConsumerGroupsTest {

    @Test
    void when_the_brokers_do_not_answer_the_view_says_why_and_shows_only_this_instances_assignment() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        KafkaFeed.Settings settings = new KafkaFeed.Settings("localhost:" + closedPort, "t", "a", Duration.ofSeconds(10),
                Duration.ofSeconds(1));
        KafkaFeed processor = KafkaFeed.batched("payment-processor", settings, events -> Mono.empty());
        try (KafkaConsumerGroups groups = new KafkaConsumerGroups("localhost:" + closedPort, "t", List.of(processor))) {
            KafkaConsumerGroups.View view = groups.view().block(Duration.ofSeconds(30));

            assertThat(view.error()).isNotBlank();
            assertThat(view.topic()).isEqualTo("t");
            assertThat(view.groups()).singleElement().satisfies(group -> {
                assertThat(group.group()).isEqualTo("payment-processor");
                assertThat(group.assignedHere()).isEmpty();
                assertThat(group.lag()).isNull();
                assertThat(group.partitions()).isEmpty();
            });
        }
    }

    @Test
    void a_members_instance_is_read_from_its_client_id_and_other_clients_have_none() {
        assertThat(KafkaConsumerGroups.instanceOf(KafkaFeed.clientId("api-1-3f2a", "payment-processor"), "payment-processor"))
                .isEqualTo("api-1-3f2a");
        assertThat(KafkaConsumerGroups.instanceOf("console-consumer-1", "payment-processor")).isNull();
        assertThat(KafkaConsumerGroups.instanceOf(KafkaFeed.clientId("a", "webhook-dispatcher"), "payment-processor")).isNull();
    }
}
