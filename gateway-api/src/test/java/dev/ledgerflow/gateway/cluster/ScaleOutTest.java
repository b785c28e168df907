package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.projections.projector.Projections;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import reactor.core.publisher.Flux;

/**
 * Three instances of the service on one PostgreSQL and one Redis, a workload of card payments through
 * all of them, then one instance crashing mid-load and a fourth joining mid-load: every payment is
 * processed once, the acquirer charges once per payment (its own table and the Prometheus counter
 * {@code ledger_acquirer_charges_total} summed over the instances), each webhook reaches the merchant,
 * the crashed instance's partitions move within the bounded time, and the projections equal a fresh
 * fold of the log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutTest {

    static final String PROCESSOR = "payment-processor";
    static final String DISPATCHER = "webhook-dispatcher";
    static final int PARTITIONS = 16;
    static final Duration WAIT = ClusterWorkload.WAIT;
    /** The bound on a takeover; the leases here expire after 3 s, heartbeats every 1 s. */
    static final Duration TAKEOVER_MAX = Duration.ofSeconds(10);

    TestCluster cluster;
    ClusterWorkload workload;
    TestCluster.Merchant merchant;
    List<String> payments;

    @BeforeAll
    void startThreeInstances() {
        cluster = new TestCluster("ledger.acquirer-latency=5ms", "ledger.cluster.partitions=" + PARTITIONS,
                ClusterWorkload.REQUEUE_AFTER);
        cluster.start("a");
        cluster.start("b");
        cluster.start("c");
        workload = new ClusterWorkload(cluster);
        merchant = workload.merchant;
        payments = workload.payments;
        awaitOwnedBy(PROCESSOR, List.of("a", "b", "c"));
        awaitOwnedBy(DISPATCHER, List.of("a", "b", "c"));
    }

    @AfterAll
    void stop() {
        if (workload != null) {
            workload.close();
        } else if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void with_three_instances_every_payment_is_processed_once_charged_once_and_its_webhook_delivered_once() {
        Map<Integer, String> owners = cluster.owners(PROCESSOR);
        assertThat(owners.values().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())))
                .as("a fair share each: at most ⌈16/3⌉").containsOnlyKeys("a", "b", "c").allSatisfy((owner, n) -> assertThat(n).isBetween(4L, 6L));

        pay(150, cluster.live()).blockLast(WAIT);

        awaitSettled();
        assertChargedOncePerPayment();
        Map<String, Long> perWebhookId = receivedPerWebhookId();
        assertThat(perWebhookId).hasSize(payments.size());
        assertThat(perWebhookId.values()).as("deliveries per webhook-id").containsOnly(1L);
    }

    @Test
    @Order(2)
    void an_instance_that_crashes_mid_load_has_its_partitions_taken_over_in_bounded_time_and_nothing_is_lost_or_charged_twice() {
        TestCluster.Instance a = cluster.instances.get(0);
        TestCluster.Instance b = cluster.instances.get(1);
        TestCluster.Instance c = cluster.instances.get(2);
        int before = payments.size();
        // Through a and b: the crash stops c's processing, not the clients' requests.
        var load = pay(150, List.of(a, b)).then().toFuture();
        await().atMost(WAIT).until(() -> payments.size() >= before + 40);

        long crashedAt = System.nanoTime();
        c.crash();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> ownedOnlyBy(PROCESSOR, List.of("a", "b"))
                && ownedOnlyBy(DISPATCHER, List.of("a", "b")));
        Duration takeover = Duration.ofNanos(System.nanoTime() - crashedAt);
        System.out.printf("Scale-out: the crashed instance's partitions were owned by the others %d ms after the crash"
                + " (lease ttl %d ms, heartbeat %d ms)%n", takeover.toMillis(), TestCluster.LEASE_TTL.toMillis(),
                TestCluster.HEARTBEAT.toMillis());
        assertThat(takeover).isLessThanOrEqualTo(TAKEOVER_MAX);

        load.join();
        awaitSettled();
        assertChargedOncePerPayment();
        // At least once: a delivery c had sent when it died may be sent again by a or b (same webhook-id).
        assertThat(receivedPerWebhookId()).hasSize(payments.size());
    }

    @Test
    @Order(3)
    void a_fourth_instance_started_mid_load_takes_a_share_and_still_every_payment_is_charged_once() {
        TestCluster.Instance a = cluster.instances.get(0);
        TestCluster.Instance b = cluster.instances.get(1);
        int before = payments.size();
        // Payments through a and b until d holds its share, however long d takes to start.
        AtomicBoolean joined = new AtomicBoolean();
        var load = pay(10, List.of(a, b)).repeat(() -> !joined.get()).then().toFuture();
        await().atMost(WAIT).until(() -> payments.size() >= before + 30);

        cluster.start("d");

        // ⌈16/3⌉ = 6 for a and b at most, so d takes at least 4 of each group.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(ownedCount(PROCESSOR, "d")).isGreaterThanOrEqualTo(4);
            assertThat(ownedCount(DISPATCHER, "d")).isGreaterThanOrEqualTo(4);
            assertThat(ownedOnlyBy(PROCESSOR, List.of("a", "b", "d"))).isTrue();
        });
        joined.set(true);
        load.join();
        awaitSettled();
        assertChargedOncePerPayment();
        assertThat(receivedPerWebhookId()).hasSize(payments.size());
        // Partitions handed over gracefully (the giver saved its place first): this phase's webhooks came once each.
        Map<String, Long> joinPhase = workload.receivedPerWebhookIdAbout(payments.subList(before, payments.size()));
        assertThat(joinPhase).hasSize(payments.size() - before);
        assertThat(joinPhase.values()).as("deliveries per webhook-id while d joined").containsOnly(1L);
    }

    @Test
    @Order(4)
    @SuppressWarnings("unchecked")
    void the_projections_equal_a_fresh_fold_of_the_log() {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Map<String, Object> report = TestCluster.get(cluster.live(0).http, ApiTest.ADMIN_KEY, "/admin/invariants");
            assertThat(report.get("ok")).as("%s", report).isEqualTo(true);
        });
        // Every projector runs on exactly one instance.
        List<String> projections = cluster.live(0).bean(Projections.class).names();
        assertThat(projections).isNotEmpty();
        for (String projection : projections) {
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(cluster.owners(Projections.LEASE_PREFIX + projection)).hasSize(1).doesNotContainValue(null));
        }
    }

    @Test
    @Order(5)
    @SuppressWarnings("unchecked")
    void admin_cluster_shows_the_live_instances_who_owns_each_partition_lease_ages_and_lag() {
        TestCluster.Instance d = cluster.instances.get(3);
        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Object> view = TestCluster.get(d.http, ApiTest.ADMIN_KEY, "/admin/cluster");
            assertThat(view.get("instance_id")).isEqualTo("d");
            assertThat(view.get("consumers_source")).isEqualTo("postgres");
            assertThat(view).containsEntry("kafka", null);
            List<Map<String, Object>> instances = (List<Map<String, Object>>) view.get("instances");
            assertThat(instances).extracting(i -> i.get("instance_id")).containsExactlyInAnyOrder("a", "b", "d");
            List<Map<String, Object>> groups = (List<Map<String, Object>>) view.get("groups");
            Map<String, Object> processor = groups.stream().filter(g -> PROCESSOR.equals(g.get("group"))).findFirst().orElseThrow();
            assertThat(processor.get("kind")).isEqualTo("partitioned");
            assertThat(processor.get("unowned")).isEqualTo(0);
            assertThat(((Map<String, Integer>) processor.get("owners")).values().stream().mapToInt(Integer::intValue).sum())
                    .isEqualTo(PARTITIONS);
            List<Map<String, Object>> leases = (List<Map<String, Object>>) processor.get("leases");
            assertThat(leases).hasSize(PARTITIONS).allSatisfy(lease -> {
                assertThat(lease.get("owner")).isIn("a", "b", "d");
                assertThat(((Number) lease.get("heartbeat_age_ms")).longValue()).isLessThan(TestCluster.LEASE_TTL.toMillis());
                assertThat(((Number) lease.get("lease_age_ms")).longValue()).isGreaterThanOrEqualTo(0);
                assertThat(((Number) lease.get("lag_events")).longValue()).isGreaterThanOrEqualTo(0);
            });
            assertThat(groups).extracting(g -> g.get("kind")).contains("projection");
        });
        // Admin only.
        assertThat(d.http.get().uri("/admin/cluster").header("Authorization", "Bearer " + merchant.key())
                .exchangeToMono(response -> reactor.core.publisher.Mono.just(response.statusCode().value()))
                .block(WAIT)).isEqualTo(401);
    }

    Flux<String> pay(int n, List<TestCluster.Instance> through) {
        return workload.pay(n, through);
    }

    void awaitSettled() {
        workload.awaitSettled();
    }

    void assertChargedOncePerPayment() {
        workload.assertChargedOncePerPayment();
    }

    Map<String, Long> receivedPerWebhookId() {
        return workload.receivedPerWebhookId();
    }

    boolean ownedOnlyBy(String group, Collection<String> instances) {
        Map<Integer, String> owners = cluster.owners(group);
        return owners.size() == PARTITIONS && owners.values().stream().allMatch(o -> o != null && instances.contains(o));
    }

    long ownedCount(String group, String instance) {
        return cluster.owners(group).values().stream().filter(o -> Objects.equals(o, instance)).count();
    }

    void awaitOwnedBy(String group, List<String> instances) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> ownedOnlyBy(group, instances)
                && instances.stream().allMatch(i -> ownedCount(group, i) >= PARTITIONS / instances.size() - 1));
    }
}
