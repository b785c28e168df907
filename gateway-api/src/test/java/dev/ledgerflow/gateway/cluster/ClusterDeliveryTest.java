package dev.ledgerflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.delivery.testing.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * What instances share besides the log: the webhook stream's consumer group in Redis, the delivery
 * schedule in PostgreSQL, and the log itself for SSE subscribers on any instance.
 */
class ClusterDeliveryTest {

    static final Duration WAIT = Duration.ofMinutes(2);
    static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {};

    static void endpoint(TestCluster cluster, TestCluster.Merchant merchant, WebhookReceiver receiver) {
        TestCluster.post(cluster.live(0).http, merchant.key(), "/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hooks") + "\",\"events\":[\"payment.succeeded\"]}");
    }

    static void pay(TestCluster.Instance through, TestCluster.Merchant merchant, int n) {
        Flux.range(0, n).flatMap(i -> TestCluster.postAsync(through.http, merchant.key(), "/v1/payments", "{\"amount\":"
                + (500 + i) + ",\"currency\":\"usd\",\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}"), 4).blockLast(WAIT);
    }

    static Map<String, Long> perWebhookId(WebhookReceiver receiver) {
        return receiver.receivedAt("/hooks").stream()
                .collect(Collectors.groupingBy(WebhookReceiver.Received::webhookId, Collectors.counting()));
    }

    @Test
    void deliveries_a_crashed_instance_had_taken_are_reclaimed_by_a_live_worker_and_delivered() {
        // The request timeout is short and the visibility timeout just above it; requeueing by the
        // scheduler is far off, so only XAUTOCLAIM can bring the crashed worker's entries back.
        try (TestCluster cluster = new TestCluster("ledger.acquirer-latency=5ms", "ledger.webhooks.request-timeout=2s",
                "ledger.webhooks.visibility-timeout=3s", "ledger.webhooks.requeue-after=1h");
                WebhookReceiver receiver = WebhookReceiver.start()) {
            TestCluster.Instance quiet = cluster.start("a", "ledger.webhooks.enabled=false");
            TestCluster.Instance doomed = cluster.start("b");
            TestCluster.Merchant merchant = cluster.newMerchant();
            endpoint(cluster, merchant, receiver);
            // b's worker takes every delivery and its requests hang: the receiver answers after a minute.
            receiver.answer(request -> WebhookReceiver.Answer.ok().after(Duration.ofMinutes(1)));
            int payments = 10;
            pay(quiet, merchant, payments);
            await().atMost(WAIT).until(() -> perWebhookId(receiver).size() == payments);

            doomed.crash();
            receiver.answer(request -> WebhookReceiver.Answer.ok());
            cluster.start("c");

            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() ->
                    cluster.count("select count(*) from webhook_deliveries where status = 'succeeded'") == payments);
            assertThat(perWebhookId(receiver)).hasSize(payments)
                    .allSatisfy((id, n) -> assertThat(n).as("sent by b (never answered), then by c").isEqualTo(2L));
            assertThat(cluster.count("select count(*) from webhook_attempts where status_code = 200")).isEqualTo(payments);
        }
    }

    @Test
    void with_two_schedulers_each_retry_is_attempted_once() {
        try (TestCluster cluster = new TestCluster("ledger.acquirer-latency=5ms", "ledger.webhooks.retry-schedule=0s,1s,1s",
                "ledger.webhooks.retry-jitter=0", "ledger.webhooks.poll-interval=200ms");
                WebhookReceiver receiver = WebhookReceiver.start()) {
            cluster.start("a");
            cluster.start("b");
            TestCluster.Merchant merchant = cluster.newMerchant();
            endpoint(cluster, merchant, receiver);
            // Every first attempt fails: the retry a second later is the schedulers' to enqueue.
            Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
            receiver.answer(request -> seen.merge(request.webhookId(), 1, Integer::sum) == 1
                    ? WebhookReceiver.Answer.status(500)
                    : WebhookReceiver.Answer.ok());
            int payments = 20;
            pay(cluster.live(0), merchant, payments / 2);
            pay(cluster.live(1), merchant, payments / 2);

            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() ->
                    cluster.count("select count(*) from webhook_deliveries where status = 'succeeded'") == payments);
            assertThat(perWebhookId(receiver)).hasSize(payments)
                    .allSatisfy((id, n) -> assertThat(n).as("one failed attempt, one retry").isEqualTo(2L));
            assertThat(cluster.count("select count(*) from webhook_attempts")).isEqualTo(2L * payments);
        }
    }

    @Test
    void a_subscriber_on_one_instance_sees_what_another_wrote_and_resumes_on_either_with_last_event_id() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            TestCluster.Instance a = cluster.start("a");
            TestCluster.Instance b = cluster.start("b");
            TestCluster.Merchant merchant = cluster.newMerchant();
            String account = (String) TestCluster.post(b.http, merchant.key(), "/v1/accounts", "{\"currency\":\"USD\",\"overdraft_limit\":0}").get("id");

            CountDownLatch connected = new CountDownLatch(1);
            List<ServerSentEvent<String>> received = new CopyOnWriteArrayList<>();
            int first = 10;
            Disposable onA = stream(a.http, merchant, "0")
                    .doOnNext(e -> {
                        if ("connected".equals(e.comment())) {
                            connected.countDown();
                        }
                    })
                    .filter(e -> e.event() != null)
                    .take(first)
                    .subscribe(received::add);
            assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
            int deposits = 30;
            for (int i = 0; i < deposits; i++) {
                TestCluster.post(b.http, merchant.key(), "/v1/accounts/" + account + "/deposits", "{\"amount\":" + (100 + i) + "}");
            }
            await().atMost(WAIT).until(() -> received.size() == first);
            onA.dispose();

            @SuppressWarnings("unchecked")
            List<Map<String, Object>> stored = (List<Map<String, Object>>) TestCluster.get(a.http, merchant.key(),
                    "/v1/events?limit=100&after=0").get("data");
            List<Long> expected = stored.stream().map(e -> ((Number) e.get("position")).longValue()).toList();
            assertThat(expected).hasSizeGreaterThan(deposits);
            String lastId = received.getLast().id();
            List<ServerSentEvent<String>> all = new ArrayList<>(received);
            all.addAll(stream(b.http, merchant, lastId).filter(e -> e.event() != null).take(expected.size() - first)
                    .collectList().block(WAIT));

            assertThat(all).extracting(e -> Long.parseLong(e.id())).containsExactlyElementsOf(expected);
            // And back on a, resuming from the middle.
            String middle = all.get(expected.size() / 2 - 1).id();
            assertThat(stream(a.http, merchant, middle).filter(e -> e.event() != null)
                    .take(expected.size() - expected.size() / 2).collectList().block(WAIT))
                    .extracting(e -> Long.parseLong(e.id())).containsExactlyElementsOf(expected.subList(expected.size() / 2, expected.size()));
        }
    }

    static Flux<ServerSentEvent<String>> stream(WebClient http, TestCluster.Merchant merchant, String lastEventId) {
        return http.get().uri("/v1/events/stream")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header("Last-Event-ID", lastEventId)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(SSE);
    }
}
