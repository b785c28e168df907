package dev.ledgerflow.delivery.webhook;

import static dev.ledgerflow.delivery.webhook.WebhookHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.delivery.testing.ScriptedResolver;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Answer;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Received;
import dev.ledgerflow.testing.EmbeddedRedisServer;
import dev.ledgerflow.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.r2dbc.pool.ConnectionPool;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Webhook delivery end to end on a real PostgreSQL, a real Redis and a real HTTP receiver: fan-out
 * and filters, signatures a public verifier accepts, retries, dead letters, and recovery from a
 * receiver outage, a killed worker, a flushed Redis and a restart of the service.
 */
class WebhookDeliveryTest {

    static final Duration LONG_WAIT = Duration.ofSeconds(45);
    static final List<Duration> QUICK_RETRIES = List.of(Duration.ZERO, Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200));

    WebhookReceiver receiver;
    final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeEach
    void receiver() {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeAfter.reversed()) {
            closeable.close();
        }
        receiver.close();
    }

    WebhookHarness harness(WebhookSettings settings) {
        return harness(TestRedis.url(), settings);
    }

    WebhookHarness harness(String redisUrl, WebhookSettings settings) {
        WebhookHarness harness = new WebhookHarness(redisUrl, settings);
        closeAfter.add(harness);
        return harness;
    }

    static Map<String, Object> payment(String id, String status) {
        return Map.of("id", id, "status", status, "amount", 1_000, "currency", "USD");
    }

    static void verify(Received request, String secret) {
        assertThatCode(() -> new Webhook(secret).verify(request.body(), request.headers()))
                .as("signature of %s", request.webhookId()).doesNotThrowAnyException();
    }

    @Test
    void each_subscribed_event_reaches_each_subscribed_endpoint_once_signed_as_the_standard_says() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        var succeededOnly = h.endpoint("mer_a", receiver.url("/a/succeeded"), "payment.succeeded");
        var everything = h.endpoint("mer_a", receiver.url("/a/all"), "*");
        var otherMerchant = h.endpoint("mer_b", receiver.url("/b/all"), "*");

        String created = h.append("mer_a", "payment.created", payment("pay_1", "processing"));
        String succeeded = h.append("mer_a", "payment.succeeded", payment("pay_1", "succeeded"));
        String refund = h.append("mer_a", "refund.created", Map.of("id", "re_1", "payment", "pay_1"));
        h.append("mer_a", "internal.bookkeeping", Map.of("note", "not public"));
        String otherPayment = h.append("mer_b", "payment.succeeded", payment("pay_9", "succeeded"));

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 4
                && h.deliveriesOf("mer_a").stream().allMatch(d -> d.status().equals("succeeded"))
                && h.deliveriesOf("mer_b").stream().anyMatch(d -> d.status().equals("succeeded")));
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> receiver.received().size() == 5);

        assertThat(receiver.receivedAt("/a/succeeded")).extracting(Received::webhookId).containsExactly(succeeded);
        assertThat(receiver.receivedAt("/a/all")).extracting(Received::webhookId)
                .containsExactlyInAnyOrder(created, succeeded, refund);
        assertThat(receiver.receivedAt("/b/all")).extracting(Received::webhookId).containsExactly(otherPayment);
        receiver.receivedAt("/a/succeeded").forEach(r -> verify(r, succeededOnly.secret()));
        receiver.receivedAt("/a/all").forEach(r -> verify(r, everything.secret()));
        receiver.receivedAt("/b/all").forEach(r -> verify(r, otherMerchant.secret()));

        Received one = receiver.receivedAt("/a/succeeded").getFirst();
        JsonNode body = LedgerJson.mapper().readTree(one.body());
        assertThat(body.get("id").asString()).isEqualTo(succeeded);
        assertThat(body.get("type").asString()).isEqualTo("payment.succeeded");
        assertThat(body.get("position").asLong()).isPositive();
        assertThat(body.get("created_at").asString()).isNotBlank();
        assertThat(body.get("data").get("id").asString()).isEqualTo("pay_1");
        assertThat(one.header("content-type")).isEqualTo("application/json");
        assertThat(one.header("webhook-signature")).startsWith("v1,");
        assertThat(Long.parseLong(one.header("webhook-timestamp"))).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(60L));

        var delivery = h.deliveriesOf("mer_a").stream().filter(d -> d.endpointId().equals(succeededOnly.id())).findFirst().orElseThrow();
        assertThat(delivery.attempts()).isEqualTo(1);
        assertThat(delivery.lastStatusCode()).isEqualTo(200);
        assertThat(delivery.nextAttemptAt()).isNull();
        assertThat(delivery.id()).isEqualTo(WebhookDeliveries.deliveryId(delivery.eventId(), succeededOnly.id()));
        var attempts = h.deliveries.attempts("mer_a", delivery.id()).collectList().block(WAIT);
        assertThat(attempts).singleElement().satisfies(a -> {
            assertThat(a.statusCode()).isEqualTo(200);
            assertThat(a.durationMs()).isNotNegative();
            assertThat(a.error()).isNull();
            assertThat(a.responseBody()).contains("received");
        });
        assertThat(h.registry.get("ledger.webhooks.deliveries").tag("outcome", "succeeded").counter().count()).isEqualTo(5);
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).length() == 0);
    }

    @Test
    void an_endpoint_receives_only_events_recorded_after_it_was_created() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        h.append("mer_a", "payment.created", payment("pay_early", "processing"));
        await().atMost(WAIT).until(() -> h.dispatcher.status().eventsFinished() == 1);

        h.endpoint("mer_a", receiver.url("/late"), "*");
        String later = h.append("mer_a", "payment.created", payment("pay_late", "processing"));

        await().atMost(LONG_WAIT).until(() -> receiver.received().size() == 1);
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> receiver.received().size() == 1);
        assertThat(receiver.received()).extracting(Received::webhookId).containsExactly(later);
    }

    @Test
    void with_the_receiver_down_for_a_while_every_event_still_arrives_and_duplicates_carry_the_same_id() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        h.endpoint("mer_a", receiver.url("/payments"), "payment.created", "payment.succeeded");
        h.endpoint("mer_a", receiver.url("/refunds"), "refund.created");
        receiver.stop();

        Map<String, String> expected = new HashMap<>(); // event id -> path
        for (int i = 0; i < 15; i++) {
            expected.put(h.append("mer_a", "payment.created", payment("pay_" + i, "processing")), "/payments");
            expected.put(h.append("mer_a", "refund.created", Map.of("id", "re_" + i)), "/refunds");
            h.append("mer_a", "payment.canceled", payment("pay_" + i, "canceled")); // nobody subscribes
        }
        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").stream().filter(d -> d.attempts() >= 2).count() >= 10);
        receiver.restart();

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 30
                && h.deliveriesOf("mer_a").stream().allMatch(d -> d.status().equals("succeeded")));
        Map<String, Set<String>> pathsById = receiver.received().stream()
                .collect(Collectors.groupingBy(r -> LedgerJson.mapper().readTree(r.body()).get("id").asString(),
                        Collectors.mapping(Received::path, Collectors.toSet())));
        assertThat(pathsById.keySet()).isEqualTo(expected.keySet());
        expected.forEach((id, path) -> assertThat(pathsById.get(id)).containsExactly(path));
        assertThat(receiver.received()).allSatisfy(r ->
                assertThat(r.webhookId()).isEqualTo(LedgerJson.mapper().readTree(r.body()).get("id").asString()));
        assertThat(h.deliveriesOf("mer_a")).allSatisfy(d -> assertThat(d.attempts()).isGreaterThanOrEqualTo(1));
    }

    @Test
    void a_worker_killed_after_its_post_but_before_its_ack_has_the_delivery_reclaimed_and_completed() {
        // No requeue by the scheduler within the test: only XAUTOCLAIM can bring the entry back.
        WebhookSettings settings = WebhookHarness.testSettings(QUICK_RETRIES)
                .withPolling(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMinutes(10));
        WebhookHarness h = harness(settings);
        h.scheduler = new DeliveryScheduler(h.deliveries, h.queue, settings, h.metrics).start();
        ConnectionPool doomedPool = PostgresConnections.pooled(h.database, "doomed-worker", 2);
        DeliveryWorker doomed = h.worker(doomedPool);
        h.dispatcher = new WebhookDispatcher(h.deliveries, h.queue).consumer(h.store, h.checkpoints).start();
        closeAfter.add(h.scheduler::dispose);
        closeAfter.add(() -> h.dispatcher.stop().block(WAIT));

        AtomicBoolean killed = new AtomicBoolean();
        receiver.answer(request -> {
            if (killed.compareAndSet(false, true)) {
                // The POST has arrived: the worker dies before it can record the outcome or acknowledge.
                doomed.dispose();
                doomedPool.dispose();
            }
            return Answer.ok();
        });
        var endpoint = h.endpoint("mer_a", receiver.url("/hook"), "*");
        String event = h.append("mer_a", "payment.succeeded", payment("pay_1", "succeeded"));

        await().atMost(WAIT).until(() -> receiver.received().size() == 1);
        var stuck = h.queue.state().block(WAIT);
        assertThat(stuck.inFlight()).as("the dead worker's entry stays pending in the group").isEqualTo(1);
        assertThat(h.deliveriesOf("mer_a")).singleElement().satisfies(d -> assertThat(d.status()).isEqualTo("pending"));

        DeliveryWorker survivor = h.worker(null);
        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));

        assertThat(receiver.received()).hasSize(2).extracting(Received::webhookId).containsOnly(event);
        receiver.received().forEach(r -> verify(r, endpoint.secret()));
        assertThat(h.deliveriesOf("mer_a").getFirst().attempts()).isEqualTo(1);
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).inFlight() == 0 && h.queue.state().block(WAIT).length() == 0);
        assertThat(h.queue.state().block(WAIT).length()).isZero();
        assertThat(survivor.consumer()).isNotEqualTo(doomed.consumer());
    }

    @Test
    void an_entry_reclaimed_while_the_dead_workers_hold_still_runs_is_reclaimed_again_and_delivered() {
        // No requeue by the scheduler within the test: only XAUTOCLAIM can bring the entry back.
        WebhookSettings settings = WebhookHarness.testSettings(QUICK_RETRIES)
                .withPolling(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMinutes(10));
        WebhookHarness h = harness(settings);
        h.scheduler = new DeliveryScheduler(h.deliveries, h.queue, settings, h.metrics).start();
        closeAfter.add(h.scheduler::dispose);
        h.queue.ensureGroup().block(WAIT);
        h.dispatcher = new WebhookDispatcher(h.deliveries, h.queue).consumer(h.store, h.checkpoints).start();
        closeAfter.add(() -> h.dispatcher.stop().block(WAIT));
        var endpoint = h.endpoint("mer_a", receiver.url("/hook"), "*");
        String event = h.append("mer_a", "payment.succeeded", payment("pay_1", "succeeded"));
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).length() == 1);

        // A worker reads the entry, claims its delivery a moment later (here: its hold runs twice the
        // visibility timeout past the read), and dies before it posts.
        var read = h.shared.commands().flatMapMany(c -> h.queue.read(c, "dead-worker", 1, Duration.ofMillis(100)))
                .collectList().block(WAIT);
        assertThat(read).hasSize(1);
        String deliveryId = read.getFirst().getBody().get(WebhookQueue.FIELD);
        var claims = h.deliveries.claim(List.of(deliveryId), settings.visibilityTimeout().multipliedBy(2)).block(WAIT);
        assertThat(claims.claimed()).hasSize(1);

        // The survivor's first reclaim finds the entry idle past the visibility timeout, but the hold
        // still running: the entry must stay pending, reclaimed again once the hold has run out.
        h.worker(null);
        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));

        assertThat(receiver.received()).singleElement().satisfies(r -> {
            assertThat(r.webhookId()).isEqualTo(event);
            verify(r, endpoint.secret());
        });
        assertThat(h.deliveriesOf("mer_a").getFirst().attempts()).isEqualTo(1);
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).inFlight() == 0 && h.queue.state().block(WAIT).length() == 0);
    }

    @Test
    void after_flushall_mid_run_delivery_resumes_by_itself_and_completes_everything() throws Exception {
        EmbeddedRedisServer privateRedis = EmbeddedRedisServer.start(Files.createTempDirectory("webhook-flush"), false, 0);
        closeAfter.add(privateRedis);
        // Requests may take 5 s (the other tests' 1 s is about timeouts; this one is not): on a starved machine
        // (load average 35 on 2 cores) every attempt timed out at 1 s, retried every 200 ms, for 45 s.
        WebhookHarness h = harness(privateRedis.url(), WebhookHarness.testSettings(QUICK_RETRIES)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10))).startService();
        h.endpoint("mer_a", receiver.url("/hook"), "*");
        // Every event fails its first attempt, so retries are scheduled when Redis loses everything.
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        receiver.answer(request -> failedOnce.add(request.webhookId()) ? Answer.status(500) : Answer.ok().after(Duration.ofMillis(20)));

        Set<String> events = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            events.add(h.append("mer_a", "payment.created", payment("pay_" + i, "processing")));
        }
        // Retries are scheduled once failures are recorded in PostgreSQL (every first attempt fails), not
        // when the receiver answered 500: wait for that, so the FLUSHALL does hit scheduled retries.
        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").stream().filter(d -> d.attempts() >= 1).count() >= 5);
        RedisClient admin = RedisClient.create(privateRedis.url());
        try (var connection = admin.connect()) {
            connection.sync().flushall();
        } finally {
            admin.shutdown();
        }
        for (int i = 20; i < 40; i++) {
            events.add(h.append("mer_a", "payment.created", payment("pay_" + i, "processing")));
        }

        // On a timeout this names the deliveries not finished and where they are stuck.
        await().atMost(LONG_WAIT).untilAsserted(() -> assertThat(h.deliveriesOf("mer_a")).hasSize(40)
                .allSatisfy(d -> assertThat(d.status()).as("%s", d).isEqualTo("succeeded")));
        Set<String> delivered = receiver.received().stream().filter(r -> failedOnce.contains(r.webhookId()))
                .map(Received::webhookId).collect(Collectors.toSet());
        assertThat(delivered).isEqualTo(events);
        assertThat(h.queue.state().block(WAIT).groupExists()).isTrue();
    }

    @Test
    void scheduled_retries_survive_a_restart_of_the_service_and_the_loss_of_the_stream() {
        WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofSeconds(2)));
        WebhookHarness h = harness(settings).startService();
        h.endpoint("mer_a", receiver.url("/hook"), "*");
        receiver.answer(request -> Answer.status(503));
        String event = h.append("mer_a", "payment.created", payment("pay_1", "processing"));
        await().atMost(WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                && h.deliveriesOf("mer_a").getFirst().status().equals("failed"));

        h.stopService();
        RedisClient admin = RedisClient.create(h.redisUri);
        try (var connection = admin.connect()) {
            connection.sync().del(settings.streamKey());
        } finally {
            admin.shutdown();
        }
        receiver.answer(request -> Answer.ok());
        h.startService();

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));
        assertThat(receiver.received()).extracting(Received::webhookId).containsExactly(event, event);
        assertThat(h.deliveriesOf("mer_a").getFirst().attempts()).isEqualTo(2);
    }

    @Test
    void the_dispatcher_handed_the_feed_again_after_a_crash_creates_no_second_delivery() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        h.endpoint("mer_a", receiver.url("/hook"), "*");
        for (int i = 0; i < 5; i++) {
            h.append("mer_a", "payment.created", payment("pay_" + i, "processing"));
        }
        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 5
                && h.deliveriesOf("mer_a").stream().allMatch(d -> d.status().equals("succeeded")));

        h.dispatcher.stop().block(WAIT);
        h.checkpoints.reset(WebhookDispatcher.CONSUMER_NAME, LogPosition.START).block(WAIT);
        h.dispatcher = new WebhookDispatcher(h.deliveries, h.queue).consumer(h.store, h.checkpoints).start();
        await().atMost(WAIT).until(() -> h.dispatcher.status().eventsFinished() == 5);

        await().during(Duration.ofMillis(700)).atMost(WAIT).until(() -> receiver.received().size() == 5);
        assertThat(h.deliveriesOf("mer_a")).hasSize(5).allSatisfy(d -> assertThat(d.attempts()).isEqualTo(1));
        h.dispatcher.stop().block(WAIT);
    }

    @Test
    void deliveries_stored_by_a_dispatcher_that_died_before_putting_them_on_the_stream_are_enqueued_when_the_feed_is_handed_over_again() {
        // No requeue by the scheduler within the test: only the dispatcher can put the deliveries on the stream.
        WebhookSettings settings = WebhookHarness.testSettings(QUICK_RETRIES)
                .withPolling(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMinutes(10));
        WebhookHarness h = harness(settings);
        h.queue.ensureGroup().block(WAIT); // the stream outlives the instance: no refill at start
        h.endpoint("mer_a", receiver.url("/hook"), "*");
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            events.add(h.append("mer_a", "payment.created", payment("pay_" + i, "processing")));
        }
        // What the dead instance's dispatcher did: its statement committed, then it died before its XADD
        // and before its checkpoint moved.
        var recorded = h.store.readLog(LogPosition.START, 10).collectList().block(WAIT);
        var stored = h.deliveries.createForEvents(recorded.stream().map(e -> new WebhookDeliveries.Dispatch(e, "mer_a")).toList())
                .collectList().block(WAIT);
        assertThat(stored).hasSize(3);

        h.startService();

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").stream().allMatch(d -> d.status().equals("succeeded")));
        assertThat(receiver.received()).extracting(Received::webhookId).containsExactlyInAnyOrderElementsOf(events);
        assertThat(h.deliveriesOf("mer_a")).hasSize(3).allSatisfy(d -> assertThat(d.attempts()).isEqualTo(1));
    }

    @Test
    void a_rotated_secret_keeps_the_previous_one_signing_during_the_overlap() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        var before = h.endpoint("mer_a", receiver.url("/hook"), "*");
        var after = h.endpoints.rotateSecret("mer_a", before.id(), Duration.ofHours(24)).block(WAIT);
        h.append("mer_a", "payment.created", payment("pay_1", "processing"));

        await().atMost(LONG_WAIT).until(() -> receiver.received().size() == 1);
        Received request = receiver.received().getFirst();
        assertThat(after.secret()).isNotEqualTo(before.secret());
        assertThat(request.header("webhook-signature").split(" ")).hasSize(2);
        verify(request, before.secret());
        verify(request, after.secret());
    }

    @Test
    void the_destination_is_checked_again_at_delivery_time_and_a_private_one_is_never_called() {
        WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofMillis(100)))
                .withPrivateDestinations(false);
        WebhookHarness h = harness(settings).startService();
        // Registered behind the API's back (or its DNS changed since): the worker still refuses it.
        h.endpoint("mer_a", receiver.url("/internal"), "*");
        h.append("mer_a", "payment.created", payment("pay_1", "processing"));

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
        var dead = h.deliveriesOf("mer_a").getFirst();
        assertThat(dead.attempts()).isEqualTo(2);
        assertThat(dead.lastStatusCode()).isNull();
        assertThat(dead.lastError()).contains("127.0.0.1").contains("public addresses");
        assertThat(receiver.received()).isEmpty();
    }

    @Test
    void a_name_that_answers_public_to_the_check_and_loopback_afterwards_never_reaches_the_service_network() {
        WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofMillis(100)))
                .withPrivateDestinations(false);
        WebhookHarness h = harness(settings).startService();
        // DNS rebinding: the first lookup answers a public address (TEST-NET-3), every later one loopback.
        String host = ScriptedResolver.name("203.0.113.10", "127.0.0.1");
        int port = URI.create(receiver.url("/")).getPort();
        h.endpoint("mer_a", "http://" + host + ":" + port + "/internal", "*");
        h.append("mer_a", "payment.created", payment("pay_1", "processing"));

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
        assertThat(ScriptedResolver.lookups(host)).as("the guard resolved the name").isPositive();
        var dead = h.deliveriesOf("mer_a").getFirst();
        assertThat(dead.attempts()).isEqualTo(2);
        assertThat(dead.lastStatusCode()).isNull();
        assertThat(h.deliveries.attempts("mer_a", dead.id()).collectList().block(WAIT)).hasSize(2).allSatisfy(attempt -> {
            assertThat(attempt.statusCode()).isNull();
            // Connected to the vetted public address (nothing answers there), or refused outright.
            assertThat(attempt.error()).containsAnyOf("connection failed", "no answer within", "only sent to public addresses");
        });
        assertThat(receiver.received()).isEmpty();
    }

    @Test
    void a_delivery_goes_to_the_address_the_guard_resolved_and_names_the_url_host() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        // Only the JVM's resolver knows this name: the client can reach it only at the address the guard pinned.
        String host = ScriptedResolver.name("127.0.0.1");
        int port = URI.create(receiver.url("/")).getPort();
        h.endpoint("mer_a", "http://" + host + ":" + port + "/pinned?v=1", "*");
        String event = h.append("mer_a", "payment.created", payment("pay_1", "processing"));

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                && h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));
        assertThat(receiver.receivedAt("/pinned")).singleElement().satisfies(request -> {
            assertThat(request.webhookId()).isEqualTo(event);
            assertThat(request.header("host")).isEqualTo(host + ":" + port);
        });
    }

    @Test
    void a_delivery_whose_endpoint_secret_does_not_decrypt_is_dead_at_once_and_never_retried() {
        WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
        // Stored under another key than the one the service has (a wrong LEDGER_WEBHOOKS_SECRETS_KEY).
        var otherKey = new SecretsCipher(SecretsKey.generate("another key"));
        new WebhookEndpoints(h.pool, otherKey).create("mer_a", receiver.url("/hook"), List.of("*"), null, Instant.now()).block(WAIT);
        h.append("mer_a", "payment.created", payment("pay_1", "processing"));

        await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
        var dead = h.deliveriesOf("mer_a").getFirst();
        assertThat(dead.lastError()).startsWith("secret_unreadable: ");
        assertThat(dead.attempts()).isZero();
        assertThat(dead.nextAttemptAt()).isNull();
        assertThat(h.registry.get("ledger.webhooks.deliveries").tag("outcome", "secret_unreadable").counter().count()).isEqualTo(1);
        // Its stream entry is acknowledged: nothing is left for a worker to reclaim and fail again.
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).inFlight() == 0 && h.queue.state().block(WAIT).length() == 0);
        assertThat(receiver.received()).isEmpty();
    }

    @Nested
    class RetriesAndDeadLetters {

        @Test
        void failures_follow_the_schedule_then_the_delivery_is_dead_and_a_manual_retry_delivers_it() {
            WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofMillis(400), Duration.ofMillis(800)))
                    .withJitter(0);
            WebhookHarness h = harness(settings).startService();
            h.endpoint("mer_a", receiver.url("/hook"), "*");
            receiver.answer(request -> Answer.status(500));
            h.append("mer_a", "payment.created", payment("pay_1", "processing"));

            await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                    && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
            var dead = h.deliveriesOf("mer_a").getFirst();
            assertThat(dead.attempts()).isEqualTo(3);
            assertThat(dead.lastStatusCode()).isEqualTo(500);
            assertThat(dead.nextAttemptAt()).isNull();
            assertThat(dead.lastError()).contains("500").contains("3 attempts");
            var log = h.deliveries.attempts("mer_a", dead.id()).collectList().block(WAIT);
            assertThat(log).extracting(WebhookDeliveries.Attempt::attempt).containsExactly(1, 2, 3);
            assertThat(Duration.between(log.get(0).startedAt(), log.get(1).startedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(400));
            assertThat(Duration.between(log.get(1).startedAt(), log.get(2).startedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(800));
            await().during(Duration.ofMillis(1_000)).atMost(WAIT).until(() -> receiver.received().size() == 3);
            assertThat(h.registry.get("ledger.webhooks.deliveries").tag("outcome", "dead").counter().count()).isEqualTo(1);

            receiver.answer(request -> Answer.ok());
            var retried = h.deliveries.retry("mer_a", dead.id()).block(WAIT);
            h.scheduler.poke();

            assertThat(retried.status()).isEqualTo("pending");
            await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));
            assertThat(h.deliveriesOf("mer_a").getFirst().attempts()).isEqualTo(4);
        }

        @Test
        void a_410_disables_the_endpoint_and_kills_the_delivery_and_later_events_are_not_sent_there() {
            WebhookHarness h = harness(WebhookHarness.testSettings(QUICK_RETRIES)).startService();
            var gone = h.endpoint("mer_a", receiver.url("/gone"), "*");
            receiver.answer(request -> Answer.status(410));
            h.append("mer_a", "payment.created", payment("pay_1", "processing"));

            await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                    && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
            var endpoint = h.endpoints.find("mer_a", gone.id()).block(WAIT);
            assertThat(endpoint.status()).isEqualTo("disabled");
            assertThat(endpoint.disabledReason()).contains("410");
            assertThat(h.deliveriesOf("mer_a").getFirst().attempts()).isEqualTo(1);

            h.append("mer_a", "payment.created", payment("pay_2", "processing"));
            await().atMost(WAIT).until(() -> h.dispatcher.status().eventsFinished() == 2);
            await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> receiver.received().size() == 1);
            assertThat(h.deliveriesOf("mer_a")).hasSize(1);
        }

        @Test
        void a_retry_after_on_503_holds_the_next_attempt_back_beyond_the_schedule() {
            WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(100)))
                    .withJitter(0);
            WebhookHarness h = harness(settings).startService();
            h.endpoint("mer_a", receiver.url("/busy"), "*");
            AtomicReference<Integer> calls = new AtomicReference<>(0);
            receiver.answer(request -> calls.getAndUpdate(n -> n + 1) == 0
                    ? Answer.status(503).withHeader("Retry-After", "2")
                    : Answer.ok());
            h.append("mer_a", "payment.created", payment("pay_1", "processing"));

            await().atMost(LONG_WAIT).until(() -> receiver.received().size() == 2);
            List<Received> requests = receiver.received();
            assertThat(Duration.between(requests.get(0).at(), requests.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(1_900));
            await().atMost(WAIT).until(() -> h.deliveriesOf("mer_a").getFirst().status().equals("succeeded"));
        }

        @Test
        void a_slow_receiver_times_out_and_the_attempt_log_says_so() {
            WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO, Duration.ofMillis(100)));
            WebhookHarness h = harness(settings).startService();
            h.endpoint("mer_a", receiver.url("/slow"), "*");
            receiver.answer(request -> Answer.ok().after(Duration.ofMillis(2_500)));
            h.append("mer_a", "payment.created", payment("pay_1", "processing"));

            await().atMost(LONG_WAIT).until(() -> h.deliveriesOf("mer_a").size() == 1
                    && h.deliveriesOf("mer_a").getFirst().status().equals("dead"));
            var log = h.deliveries.attempts("mer_a", h.deliveriesOf("mer_a").getFirst().id()).collectList().block(WAIT);
            assertThat(log).hasSize(2).allSatisfy(a -> {
                assertThat(a.statusCode()).isNull();
                assertThat(a.error()).contains("no answer within 1000 ms");
                assertThat(a.durationMs()).isBetween(900L, 2_400L);
            });
        }
    }
}
