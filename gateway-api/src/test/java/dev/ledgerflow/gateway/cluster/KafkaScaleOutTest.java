package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.payment.processor.PaymentProcessor;
import dev.ledgerflow.delivery.kafka.KafkaFeed;
import dev.ledgerflow.delivery.webhook.WebhookDispatcher;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.testing.TestKafka;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * the session timeout), and nothing is lost or charged twice; a fourth instance started mid-load is
 * assigned its share, still with one charge per payment and one delivery per webhook-id; the projections
 * equal a fresh fold; {@code /admin/cluster} shows the groups, their members, offsets and lag.
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
                "ledger.consumers.kafka-session-timeout=" + SESSION.toMillis() + "ms",
                "ledger.acquirer-dispute-delay=300ms", "ledger.acquirer-dispute-resolve-delay=300ms",
                ClusterWorkload.REQUEUE_AFTER);
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

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void a_fourth_instance_started_mid_load_is_assigned_a_share_of_the_kafka_partitions_and_still_every_payment_is_charged_once() {
        TestCluster.Instance a = cluster.instances.get(0);
        TestCluster.Instance b = cluster.instances.get(1);
        int before = workload.payments.size();
        // Payments through a and b until d holds its share, however long d takes to start.
        AtomicBoolean joined = new AtomicBoolean();
        var load = workload.pay(10, List.of(a, b)).repeat(() -> !joined.get()).then().toFuture();
        await().atMost(WAIT).until(() -> workload.payments.size() >= before + 30);

        long startedAt = System.nanoTime();
        TestCluster.Instance d = cluster.start("d");

        // Three members on six partitions: two each. Seen by d itself (/admin/cluster, from its consumers' own
        // assignment) and by the groups' coordinator.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Map<String, Object>> groups = kafkaGroups(d);
            for (String group : List.of(PROCESSOR, DISPATCHER)) {
                assertThat((List<Integer>) groups.get(group).get("assigned_here")).as(group).hasSize(PARTITIONS / 3);
                assertThat(owners(group)).as(group).hasSize(PARTITIONS)
                        .containsValues("a", "b", "d").doesNotContainValue("c");
            }
        });
        System.out.printf("Kafka scale-out: the fourth instance held its share %d ms after its start began"
                + " (%d payments meanwhile)%n", Duration.ofNanos(System.nanoTime() - startedAt).toMillis(),
                workload.payments.size() - before);
        joined.set(true);
        load.join();
        // And on with d: a third of these payments are in d's partitions ((2/3)^60 that none is).
        workload.pay(60, cluster.live()).blockLast(WAIT);

        workload.awaitSettled();
        workload.assertChargedOncePerPayment();
        assertThat(d.context.getBean("paymentProcessorKafkaFeed", KafkaFeed.class).handled()).isPositive();
        assertThat(d.context.getBean("webhookDispatcherKafkaFeed", KafkaFeed.class).handled()).isPositive();
        // A rebalance revokes partitions between polls, after the runs handled were committed: this phase's
        // payments' webhooks came once each.
        Map<String, Long> joinPhase = workload.receivedPerWebhookIdAbout(workload.payments.subList(before, workload.payments.size()));
        assertThat(joinPhase).hasSize(workload.payments.size() - before);
        assertThat(joinPhase.values()).as("deliveries per webhook-id while d joined").containsOnly(1L);
    }

    @Test
    @Order(4)
    void the_projections_equal_a_fresh_fold_of_the_log() {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Map<String, Object> report = TestCluster.get(cluster.live(0).http, ApiTest.ADMIN_KEY, "/admin/invariants");
            assertThat(report.get("ok")).as("%s", report).isEqualTo(true);
        });
    }

    @Test
    @Order(5)
    @SuppressWarnings("unchecked")
    void admin_cluster_in_kafka_mode_shows_each_consumer_group_with_this_instances_partitions_offsets_lag_and_members() {
        TestCluster.Instance d = cluster.instances.get(3);
        Map<String, Object> view = await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(
                () -> TestCluster.get(d.http, ApiTest.ADMIN_KEY, "/admin/cluster"),
                found -> kafkaGroupsOf(found).values().stream().allMatch(group -> group.get("lag") instanceof Number lag
                        && lag.longValue() == 0));

        assertThat(view.get("consumers_source")).isEqualTo("kafka");
        Map<String, Object> kafka = (Map<String, Object>) view.get("kafka");
        assertThat(kafka.get("topic")).isEqualTo(topic);
        assertThat(kafka.get("error")).isNull();
        Map<String, Map<String, Object>> groups = kafkaGroupsOf(view);
        assertThat(groups).containsOnlyKeys(PROCESSOR, DISPATCHER);
        for (String group : List.of(PROCESSOR, DISPATCHER)) {
            Map<String, Object> shown = groups.get(group);
            assertThat(shown.get("state")).as(group).isEqualTo("Stable");
            String feed = group.equals(PROCESSOR) ? "paymentProcessorKafkaFeed" : "webhookDispatcherKafkaFeed";
            List<Integer> mine = List.copyOf(d.context.getBean(feed, KafkaFeed.class).partitions());
            assertThat((List<Integer>) shown.get("assigned_here")).as(group).isEqualTo(mine).hasSize(PARTITIONS / 3);
            List<Map<String, Object>> members = (List<Map<String, Object>>) shown.get("members");
            assertThat(members).extracting(m -> m.get("instance_id")).as(group).containsExactlyInAnyOrder("a", "b", "d");
            assertThat(members).filteredOn(m -> "d".equals(m.get("instance_id"))).singleElement()
                    .satisfies(m -> assertThat(m.get("partitions")).isEqualTo(mine));
            List<Map<String, Object>> partitions = (List<Map<String, Object>>) shown.get("partitions");
            assertThat(partitions).extracting(p -> p.get("partition")).as(group).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(partitions).filteredOn(p -> "d".equals(p.get("owner"))).extracting(p -> p.get("partition"))
                    .as(group).isEqualTo(mine);
            // Everything published was handled and committed: committed offset = log-end offset, lag 0.
            assertThat(partitions).as(group).allSatisfy(p -> {
                assertThat(p.get("owner")).isIn("a", "b", "d");
                assertThat(((Number) p.get("committed_offset")).longValue()).isEqualTo(((Number) p.get("log_end_offset")).longValue());
                assertThat(((Number) p.get("lag")).longValue()).isZero();
            });
            assertThat(partitions.stream().mapToLong(p -> ((Number) p.get("log_end_offset")).longValue()).sum())
                    .as("at least each payment's created and succeeded").isGreaterThanOrEqualTo(2L * workload.payments.size());
        }
        // The lease view keeps what still runs under leases; the two consumers on Kafka hold none there.
        List<Map<String, Object>> leaseGroups = (List<Map<String, Object>>) view.get("groups");
        assertThat(leaseGroups).extracting(g -> g.get("group")).contains("kafka-relay").doesNotContain(PROCESSOR, DISPATCHER);
        assertThat(leaseGroups).extracting(g -> g.get("kind")).contains("projection");
    }

    @Test
    @Order(6)
    void a_card_payment_the_customer_disputes_is_disputed_and_lost_when_the_processor_reads_kafka() {
        Map<String, Object> created = TestCluster.post(cluster.live(0).http, workload.merchant.key(), "/v1/payments",
                "{\"amount\":1000,\"currency\":\"usd\",\"source\":{\"type\":\"card\",\"number\":\"4000000000002685\","
                + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}");
        String id = (String) created.get("id");

        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> cluster.count(
                "select count(*) from events where stream_id = '" + id + "' and type = 'payment.dispute_lost'") == 1);
        assertThat(cluster.count("select count(*) from events where stream_id = '" + id + "' and type = 'payment.disputed'"))
                .isEqualTo(1);
    }

    /** The Kafka consumer groups in {@code instance}'s {@code /admin/cluster}, by name. */
    static Map<String, Map<String, Object>> kafkaGroups(TestCluster.Instance instance) {
        return kafkaGroupsOf(TestCluster.get(instance.http, ApiTest.ADMIN_KEY, "/admin/cluster"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> kafkaGroupsOf(Map<String, Object> view) {
        Map<String, Object> kafka = (Map<String, Object>) view.get("kafka");
        Map<String, Map<String, Object>> groups = new TreeMap<>();
        if (kafka != null) {
            ((List<Map<String, Object>>) kafka.get("groups")).forEach(group -> groups.put((String) group.get("group"), group));
        }
        return groups;
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
