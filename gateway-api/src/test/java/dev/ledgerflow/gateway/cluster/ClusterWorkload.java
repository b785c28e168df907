package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.delivery.testing.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Card payments through the instances of a {@link TestCluster} by one merchant whose endpoint receives
 * {@code payment.succeeded}, and the checks that each was processed once, charged once and its webhook
 * delivered.
 */
final class ClusterWorkload implements AutoCloseable {

    static final Duration WAIT = Duration.ofMinutes(3);

    final TestCluster cluster;
    final WebhookReceiver receiver = WebhookReceiver.start();
    final TestCluster.Merchant merchant;
    final List<String> payments = new CopyOnWriteArrayList<>();

    ClusterWorkload(TestCluster cluster) {
        this.cluster = cluster;
        this.merchant = cluster.newMerchant();
        TestCluster.post(cluster.live(1).http, merchant.key(), "/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hooks") + "\",\"events\":[\"payment.succeeded\"]}");
    }

    /** Creates {@code n} card payments, spread round robin over {@code through}, a few at a time. */
    Flux<String> pay(int n, List<TestCluster.Instance> through) {
        AtomicInteger next = new AtomicInteger();
        return Flux.range(0, n).flatMap(i -> Mono.defer(() -> {
            TestCluster.Instance instance = through.get(next.getAndIncrement() % through.size());
            return TestCluster.postAsync(instance.http, merchant.key(), "/v1/payments", "{\"amount\":" + (1_000 + i)
                    + ",\"currency\":\"usd\",\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                    + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}");
        }).map(created -> (String) created.get("id")).doOnNext(payments::add), 6);
    }

    /** Every payment has its outcome and its webhook reached the receiver. */
    void awaitSettled() {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(cluster.count("select count(distinct stream_id) from events where type = 'payment.succeeded'"))
                    .isEqualTo(payments.size());
            assertThat(receivedPerWebhookId()).hasSize(payments.size());
        });
    }

    /** One outcome per payment, one charge per payment in the acquirer's table and in its counter over all instances. */
    void assertChargedOncePerPayment() {
        assertThat(cluster.count("select count(*) from events where type = 'payment.succeeded'"))
                .as("outcomes appended").isEqualTo(payments.size());
        assertThat(cluster.count("select count(*) from acquirer_charges where outcome = 'approved'"))
                .as("charges in the acquirer's own book").isEqualTo(payments.size());
        double charges = cluster.instances.stream().mapToDouble(i -> i.counter("ledger.acquirer.charges")).sum();
        double calls = cluster.instances.stream().mapToDouble(i -> i.counter("ledger.acquirer.calls")).sum();
        System.out.printf("Scale-out: %d payments, ledger_acquirer_charges_total summed over %d instances %.0f, calls %.0f%n",
                payments.size(), cluster.instances.size(), charges, calls);
        System.out.printf("Scale-out: created to succeeded (recorded_at), median %d ms, p99 %d ms%n",
                outcomeMillis(0.5), outcomeMillis(0.99));
        assertThat(charges).as("ledger_acquirer_charges_total over all instances").isEqualTo(payments.size());
        assertThat(calls).isGreaterThanOrEqualTo(payments.size());
    }

    /** A percentile of the time from a payment's {@code payment.created} to its {@code payment.succeeded}, in ms. */
    long outcomeMillis(double percentile) {
        return cluster.count("select coalesce(percentile_disc(" + percentile + ") within group (order by"
                + " extract(epoch from s.recorded_at - c.recorded_at) * 1000), 0)::bigint from events c"
                + " join events s on s.stream_id = c.stream_id and s.type = 'payment.succeeded' where c.type = 'payment.created'");
    }

    Map<String, Long> receivedPerWebhookId() {
        return receiver.receivedAt("/hooks").stream()
                .collect(Collectors.groupingBy(WebhookReceiver.Received::webhookId, Collectors.counting()));
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } finally {
            receiver.close();
        }
    }
}
