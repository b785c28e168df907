package dev.ledgerflow.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Answer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The operators' view of the webhook queue across merchants, and their retries, over HTTP with the admin key. */
@TestPropertySource(properties = {
    "ledger.webhooks.allow-private-destinations=true",
    "ledger.webhooks.retry-schedule=0s,150ms",
    "ledger.webhooks.request-timeout=2s",
    "ledger.webhooks.poll-interval=100ms"
})
class WebhookAdminApiTest extends ApiTestBase {

    static final Duration WAIT = Duration.ofSeconds(30);

    WebhookReceiver receiver;
    ApiClient merchant;

    @BeforeEach
    void setUp() {
        receiver = WebhookReceiver.start();
        merchant = ApiClient.newMerchant(http);
    }

    @AfterEach
    void tearDown() {
        receiver.close();
    }

    @Test
    void an_operator_sees_an_endpoints_dead_deliveries_with_their_attempts_and_retries_one_then_all() {
        String endpoint = (String) merchant.created("/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hook") + "\",\"events\":[\"account.created\"]}").get("id");
        receiver.answer(request -> Answer.status(500));
        merchant.openAccount("EUR", 0);
        merchant.openAccount("USD", 0);

        await().atMost(WAIT).until(() -> queueOf(endpoint).get("dead").equals(2));
        Map<String, Object> row = queueOf(endpoint);
        assertThat(row.get("merchant")).isEqualTo(merchant.merchantId);
        assertThat(row.get("url")).isEqualTo(receiver.url("/hook"));
        List<Map<String, Object>> dead = deliveries(endpoint, "dead");
        assertThat(dead).hasSize(2);
        String first = (String) dead.getFirst().get("id");
        admin().get().uri("/admin/webhooks/deliveries/" + first + "/attempts").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.data.length()").isEqualTo(2)
                .jsonPath("$.data[0].status_code").isEqualTo(500)
                .jsonPath("$.data[0].duration_ms").exists();

        receiver.answer(request -> Answer.ok());
        admin().post().uri("/admin/webhooks/deliveries/" + first + "/retry").exchange().expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("pending");
        await().atMost(WAIT).until(() -> deliveries(endpoint, "succeeded").size() == 1);
        assertThat(deliveries(endpoint, "dead")).hasSize(1);

        admin().post().uri("/admin/webhooks/endpoints/" + endpoint + "/retry-dead").exchange().expectStatus().isAccepted()
                .expectBody().jsonPath("$.retried").isEqualTo(1);
        await().atMost(WAIT).until(() -> deliveries(endpoint, "succeeded").size() == 2);
        assertThat(queueOf(endpoint).get("dead")).isEqualTo(0);
    }

    @Test
    void an_operator_replays_an_endpoints_events_after_a_position() {
        String endpoint = (String) merchant.created("/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hook") + "\",\"events\":[\"account.created\"]}").get("id");
        merchant.openAccount("EUR", 0);
        merchant.openAccount("USD", 0);
        await().atMost(WAIT).until(() -> deliveries(endpoint, "succeeded").size() == 2);
        long secondPosition = ((Number) deliveries(endpoint, "succeeded").getFirst().get("event_position")).longValue();

        admin().post().uri("/admin/webhooks/endpoints/" + endpoint + "/replay")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue("{\"after_position\": " + (secondPosition - 1) + "}").exchange()
                .expectStatus().isAccepted().expectBody().jsonPath("$.deliveries").isEqualTo(1);
        await().atMost(WAIT).until(() -> receiver.received().size() == 3);
        admin().post().uri("/admin/webhooks/endpoints/" + endpoint + "/replay")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue("{\"after_position\": -1}").exchange().expectStatus().isBadRequest();
    }

    @Test
    void a_pending_delivery_needs_no_retry_and_unknown_ids_are_404() {
        admin().post().uri("/admin/webhooks/deliveries/wd_nope/retry").exchange().expectStatus().isNotFound()
                .expectBody().jsonPath("$.code").isEqualTo("not_found");
        admin().post().uri("/admin/webhooks/endpoints/we_nope/retry-dead").exchange().expectStatus().isNotFound();
        admin().get().uri("/admin/webhooks/endpoints/we_nope/deliveries").exchange().expectStatus().isNotFound();
        admin().get().uri("/admin/webhooks/endpoints/we_x/deliveries?status=lost").exchange().expectStatus().isBadRequest();
    }

    @Test
    void a_merchant_key_cannot_use_the_operator_endpoints() {
        http.get().uri("/admin/webhooks/endpoints").header("Authorization", "Bearer " + merchant.key()).exchange()
                .expectStatus().isUnauthorized();
        http.post().uri("/admin/webhooks/deliveries/wd_x/retry").exchange().expectStatus().isUnauthorized();
    }

    private WebTestClient admin() {
        return http.mutate().defaultHeader("Authorization", "Bearer " + ApiTest.ADMIN_KEY).build();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> queueOf(String endpoint) {
        Map<String, Object> body = admin().get().uri("/admin/webhooks/endpoints").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return ((List<Map<String, Object>>) body.get("data")).stream().filter(e -> e.get("id").equals(endpoint)).findFirst()
                .orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> deliveries(String endpoint, String status) {
        Map<String, Object> body = admin().get().uri("/admin/webhooks/endpoints/" + endpoint + "/deliveries?status=" + status)
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        return (List<Map<String, Object>>) body.get("data");
    }
}
