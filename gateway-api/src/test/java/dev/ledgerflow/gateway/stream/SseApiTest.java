package dev.ledgerflow.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Server-Sent Events over real HTTP connections, read by a real SSE client (WebClient). */
@TestPropertySource(properties = {"ledger.acquirer-latency=400ms", "ledger.sse-heartbeat=300ms"})
class SseApiTest extends ApiTestBase {

    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {};
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    ApiClient merchant;
    ConnectionProvider connections;
    WebClient client;

    @BeforeEach
    void setUp() {
        merchant = ApiClient.newMerchant(http);
        // No pooling limit: every subscriber holds its own connection, as browsers do.
        connections = ConnectionProvider.newConnection();
        client = WebClient.builder().baseUrl("http://localhost:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections)))
                .build();
    }

    @AfterEach
    void tearDown() {
        connections.dispose();
    }

    Flux<ServerSentEvent<String>> stream(String path, String lastEventId) {
        return client.get().uri(path)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .headers(h -> {
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", lastEventId);
                    }
                })
                .accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(SSE);
    }

    static JsonNode data(ServerSentEvent<String> event) {
        return JSON.readTree(event.data());
    }

    String ledgerPosition(org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec response) {
        return response.expectStatus().is2xxSuccessful().returnResult(String.class).getResponseHeaders().getFirst("Ledger-Position");
    }

    @Test
    void a_payment_stream_shows_processing_first_then_succeeded_live_and_completes() {
        String id = (String) merchant.created("/v1/payments", "{\"amount\":1200,\"currency\":\"USD\",\"source\":{\"type\":\"card\","
                + "\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}").get("id");
        List<ServerSentEvent<String>> events = stream("/v1/payments/" + id + "/stream", null)
                .filter(event -> event.event() != null)
                .collectList()
                .block(Duration.ofSeconds(30));

        assertThat(events).extracting(ServerSentEvent::event).containsExactly("payment.current", "payment.succeeded");
        assertThat(data(events.get(0)).get("data").get("status").asString()).isEqualTo("processing");
        assertThat(data(events.get(0)).get("data").get("id").asString()).isEqualTo(id);
        assertThat(data(events.get(1)).get("data").get("status").asString()).isEqualTo("succeeded");
        assertThat(data(events.get(1)).get("id").asString()).startsWith("evt_");
        assertThat(Long.parseLong(events.get(1).id())).isGreaterThan(Long.parseLong(events.get(0).id()));
        assertThat(data(events.get(1)).get("position").asLong()).isEqualTo(Long.parseLong(events.get(1).id()));
    }

    @Test
    void a_manual_payment_stream_follows_authorization_and_capture_and_a_final_payment_completes_at_once() {
        String id = (String) merchant.created("/v1/payments", "{\"amount\":800,\"currency\":\"USD\",\"capture_method\":\"manual\","
                + "\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}")
                .get("id");
        List<ServerSentEvent<String>> received = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        Disposable subscription = stream("/v1/payments/" + id + "/stream", null).filter(e -> e.event() != null)
                .doOnNext(received::add).doFinally(signal -> done.countDown()).subscribe();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(e ->
                    data(e).get("data").get("status").asString().equals("requires_capture")));
            merchant.post("/v1/payments/" + id + "/capture", "{\"amount\":500}").expectStatus().isOk();
            assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            subscription.dispose();
        }
        assertThat(received.getFirst().event()).isEqualTo("payment.current");
        assertThat(received.getLast().event()).isEqualTo("payment.succeeded");
        assertThat(data(received.getLast()).get("data").get("amount_captured").asLong()).isEqualTo(500);

        // Final already: the current state, then the end.
        assertThat(stream("/v1/payments/" + id + "/stream", null).filter(e -> e.event() != null).collectList()
                .block(Duration.ofSeconds(10))).singleElement()
                .satisfies(e -> assertThat(data(e).get("data").get("status").asString()).isEqualTo("succeeded"));
        merchant.get("/v1/payments/pay_unknown/stream").expectStatus().isNotFound();
        ApiClient.newMerchant(http).get("/v1/payments/" + id + "/stream").expectStatus().isNotFound();
    }

    @Test
    void reconnecting_with_last_event_id_while_events_keep_coming_misses_nothing_and_repeats_nothing() throws Exception {
        String account = merchant.openAccount("USD", 0);
        String start = ledgerPosition(merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":1}"));
        int deposits = 60;
        AtomicInteger written = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < deposits; i++) {
                merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":" + (100 + i) + "}").expectStatus().isCreated();
                written.incrementAndGet();
                sleep(15);
            }
        });

        List<ServerSentEvent<String>> received = new ArrayList<>();
        received.addAll(stream("/v1/events/stream", start).filter(e -> e.event() != null).take(15)
                .collectList().block(Duration.ofSeconds(30)));
        // The connection is gone (take cancelled it); the writer is still writing.
        assertThat(written.get()).isLessThan(deposits);
        String lastId = received.getLast().id();
        received.addAll(stream("/v1/events/stream", lastId).filter(e -> e.event() != null).take(deposits - 15)
                .collectList().block(Duration.ofSeconds(60)));
        writer.join();

        List<Long> expected = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> stored = (List<Map<String, Object>>) merchant.read("/v1/events?limit=100&after=" + start).get("data");
        stored.forEach(e -> expected.add(((Number) e.get("position")).longValue()));
        assertThat(expected).hasSize(deposits);
        assertThat(received).extracting(e -> Long.parseLong(e.id())).containsExactlyElementsOf(expected);
        assertThat(received).extracting(e -> data(e).get("data").get("amount").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.range(100, 100 + deposits).boxed().toList());
    }

    @Test
    void a_thousand_concurrent_subscribers_all_receive_every_event() throws Exception {
        String account = merchant.openAccount("USD", 0);
        int subscribers = 1_000;
        int events = 8;
        CountDownLatch connected = new CountDownLatch(subscribers);
        List<List<String>> received = new ArrayList<>();
        List<Disposable> subscriptions = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            List<String> mine = new CopyOnWriteArrayList<>();
            received.add(mine);
            subscriptions.add(stream("/v1/events/stream", null)
                    .doOnNext(event -> {
                        if ("connected".equals(event.comment())) {
                            connected.countDown();
                        } else if ("deposit.posted".equals(event.event())) {
                            // "From now" is from the hub's last event: the account's creation, committed just
                            // before, may still reach a subscriber whose hub had not seen it yet.
                            mine.add(event.id());
                        }
                    })
                    .subscribe());
        }
        try {
            assertThat(connected.await(120, TimeUnit.SECONDS)).as("all subscribed").isTrue();
            List<String> positions = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                positions.add(ledgerPosition(merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":" + (i + 1) + "}")));
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> received.stream().allMatch(r -> r.size() >= events));
            assertThat(received).allSatisfy(r -> assertThat(r).containsExactlyElementsOf(positions));
        } finally {
            subscriptions.forEach(Disposable::dispose);
        }
    }

    @Test
    void a_quiet_stream_sends_heartbeat_comments() {
        List<ServerSentEvent<String>> first = stream("/v1/events/stream", null).take(3).collectList().block(Duration.ofSeconds(10));
        assertThat(first).extracting(ServerSentEvent::comment).containsExactly("connected", "heartbeat", "heartbeat");
    }

    @Test
    @SuppressWarnings("unchecked")
    void a_browser_opens_a_stream_with_a_short_lived_token_scoped_to_one_payment() {
        String payment = (String) merchant.created("/v1/payments", "{\"amount\":100,\"currency\":\"USD\",\"capture_method\":\"manual\","
                + "\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}").get("id");
        String other = (String) merchant.created("/v1/payments", "{\"amount\":100,\"currency\":\"USD\","
                + "\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}").get("id");
        Map<String, Object> token = merchant.created("/v1/stream-tokens", "{\"payment\":\"" + payment + "\"}");
        assertThat((String) token.get("token")).startsWith("stk_");
        assertThat(token).containsEntry("payment", payment).containsKey("expires_at");

        ServerSentEvent<String> first = client.get().uri("/v1/payments/" + payment + "/stream?token=" + token.get("token"))
                .accept(MediaType.TEXT_EVENT_STREAM).retrieve().bodyToFlux(SSE).blockFirst(Duration.ofSeconds(10));
        assertThat(first.event()).isEqualTo("payment.current");
        http.get().uri("/v1/payments/" + other + "/stream?token=" + token.get("token")).exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/events/stream?token=" + token.get("token")).exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/transactions?token=" + token.get("token")).exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/events/stream?token=stk_forged.c2lnbmF0dXJl").exchange().expectStatus().isUnauthorized();

        String feedToken = (String) merchant.created("/v1/stream-tokens", "{}").get("token");
        assertThat(client.get().uri("/v1/events/stream?token=" + feedToken).accept(MediaType.TEXT_EVENT_STREAM).retrieve()
                .bodyToFlux(SSE).blockFirst(Duration.ofSeconds(10)).comment()).isEqualTo("connected");
        ApiClient.newMerchant(http).post("/v1/stream-tokens", "{\"payment\":\"" + payment + "\"}").expectStatus().isNotFound();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
