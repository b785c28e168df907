package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.payment.processor.PaymentProcessor;
import dev.ledgerflow.delivery.kafka.KafkaFeed;
import dev.ledgerflow.delivery.webhook.WebhookDispatcher;
import dev.ledgerflow.testing.TestKafka;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@link ScaleOutTest} in the Kafka consumer-group mode ({@code ledger.consumers.source=kafka}): three
 * instances on one PostgreSQL, Redis and Kafka, the payment processor and the webhook dispatcher reading
 * the relay's topic as consumer groups. Every payment is processed once and charged once, its webhook
 * delivered; an instance that crashes mid-load has its partitions moved to the others by Kafka (after
 * the session timeout), and nothing is lost or charged twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaScaleOutTest {

    static final String PROCESSOR = PaymentProcessor.CONSUMER_NAME;
    static final String DISPATCHER = WebhookDispatcher.CONSUMER_NAME;
    static final int PARTITIONS = 6;
    static final Duration SESSION = Duration.ofSeconds(6);
    /** The bound on a takeover; the group's session timeout here is 6 s, heartbeats every second. */
    static final Duration TAKEOVER_MAX = Duration.ofSeconds(10);
    static final Duration WAIT = ClusterWorkload.WAIT;

    final String topic = "scale-out-" + UUID.randomUUID();
    TestCluster cluster;
    ClusterWorkload workload;
    Admin admin;

    @BeforeAll
    void startThreeInstances() {
        String bootstrap = TestKafka.bootstrapServers();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        cluster = new TestCluster("ledger.acquirer-latency=5ms", "ledger.kafka-bootstrap=" + bootstrap,
                "ledger.kafka.topic=" + topic, "ledger.kafka.partitions=" + PARTITIONS, "ledger.consumers.source=kafka",
                "ledger.consumers.kafka-session-timeout=" + SESSION.toMillis() + "ms");
        cluster.start("a");
        cluster.start("b");
        cluster.start("c");
        workload = new ClusterWorkload(cluster);
        for (String group : List.of(PROCESSOR, DISPATCHER)) {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> ownedOnlyBy(group, List.of("a", "b", "c"))
                    && owners(group).values().stream().distinct().count() == 3);
        }
    }

    @AfterAll
    void stop() {
        if (workload != null) {
            workload.close();
        } else if (cluster != null) {
            cluster.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    @Order(1)
    void with_three_instances_on_kafka_every_payment_is_processed_once_charged_once_and_its_webhook_delivered_once() {
        workload.pay(150, cluster.live()).blockLast(WAIT);

        workload.awaitSettled();
        workload.assertChargedOncePerPayment();
        assertThat(workload.receivedPerWebhookId().values()).as("deliveries per webhook-id").containsOnly(1L);
        // The partitioned consumers run on Kafka only: no instance holds their PostgreSQL leases.
        assertThat(cluster.owners(PROCESSOR).values()).allMatch(java.util.Objects::isNull);
        assertThat(cluster.instances).allSatisfy(instance -> assertThat(instance.context
                .getBean("paymentProcessorKafkaFeed", KafkaFeed.class).handled()).isPositive());
    }

    @Test
    @Order(2)
    void an_instance_that_crashes_mid_load_has_its_kafka_partitions_moved_and_nothing_is_lost_or_charged_twice() {
        TestCluster.Instance a = cluster.instances.get(0);
        TestCluster.Instance b = cluster.instances.get(1);
        TestCluster.Instance c = cluster.instances.get(2);
        int before = workload.payments.size();
        var load = workload.pay(150, List.of(a, b)).then().toFuture();
        await().atMost(WAIT).until(() -> workload.payments.size() >= before + 40);

        long crashedAt = System.nanoTime();
        c.crash();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> ownedOnlyBy(PROCESSOR, List.of("a", "b"))
                && ownedOnlyBy(DISPATCHER, List.of("a", "b")));
        Duration takeover = Duration.ofNanos(System.nanoTime() - crashedAt);
        System.out.printf("Kafka scale-out: the crashed instance's partitions were assigned to the others %d ms after"
                + " the crash (session timeout %d ms)%n", takeover.toMillis(), SESSION.toMillis());
        assertThat(takeover).isLessThanOrEqualTo(TAKEOVER_MAX);

        load.join();
        workload.awaitSettled();
        workload.assertChargedOncePerPayment();
        // At least once: a delivery c had sent when it died may be sent again by a or b (same webhook-id).
        assertThat(workload.receivedPerWebhookId()).hasSize(workload.payments.size());
    }

    /** Which instance's member holds each partition of the topic in {@code group} (from the client ids). */
    Map<Integer, String> owners(String group) throws Exception {
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        Map<Integer, String> owners = new TreeMap<>();
        for (MemberDescription member : description.members()) {
            String instance = member.clientId().substring("ledgerflow-".length(),
                    member.clientId().length() - group.length() - 1);
            for (TopicPartition partition : member.assignment().topicPartitions()) {
                if (partition.topic().equals(topic)) {
                    owners.put(partition.partition(), instance);
                }
            }
        }
        return owners;
    }

    boolean ownedOnlyBy(String group, Collection<String> instances) throws Exception {
        Map<Integer, String> owners = owners(group);
        return owners.size() == PARTITIONS && instances.containsAll(owners.values());
    }
}
