package dev.ledgerflow.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Answer;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Received;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** The webhook API over HTTP, with the whole service delivering to a real receiver on this machine. */
@TestPropertySource(properties = {
    "ledger.acquirer-latency=5ms",
    "ledger.webhooks.allow-private-destinations=true",
    "ledger.webhooks.retry-schedule=0s,150ms,150ms",
    "ledger.webhooks.request-timeout=2s",
    "ledger.webhooks.visibility-timeout=5s",
    "ledger.webhooks.poll-interval=100ms",
    "ledger.acquirer-dispute-delay=300ms",
    "ledger.acquirer-dispute-resolve-delay=300ms"
})
class WebhookApiTest extends ApiTestBase {

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

    Map<String, Object> endpoint(String path, String events) {
        return merchant.created("/v1/webhook-endpoints", "{\"url\":\"" + receiver.url(path) + "\",\"events\":" + events + "}");
    }

    String payment(long amount) {
        return (String) merchant.created("/v1/payments", "{\"amount\":" + amount + ",\"currency\":\"usd\",\"source\":"
                + "{\"type\":\"card\",\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}").get("id");
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> deliveries(String query) {
        return (List<Map<String, Object>>) merchant.read("/v1/webhook-deliveries" + query).get("data");
    }

    static void verified(Received request, String secret) {
        assertThatCode(() -> new Webhook(secret).verify(request.body(), request.headers())).doesNotThrowAnyException();
    }

    WebTestClient.ResponseSpec patch(ApiClient who, String path, String json) {
        return http.patch().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + who.key())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }

    WebTestClient.ResponseSpec delete(ApiClient who, String path) {
        return http.delete().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + who.key()).exchange();
    }

    @Test
    void a_merchant_registers_an_endpoint_creates_payments_and_receives_each_subscribed_event_signed() {
        Map<String, Object> payments = endpoint("/payments", "[\"payment.created\",\"payment.succeeded\"]");
        Map<String, Object> refunds = endpoint("/refunds", "[\"refund.succeeded\"]");
        assertThat((String) payments.get("id")).startsWith("we_");
        assertThat((String) payments.get("secret")).startsWith("whsec_");
        assertThat(payments.get("status")).isEqualTo("enabled");
        assertThat(payments.get("events")).isEqualTo(List.of("payment.created", "payment.succeeded"));

        String first = payment(1_000);
        String second = payment(2_000);

        await().atMost(WAIT).until(() -> receiver.receivedAt("/payments").size() >= 4
                && deliveries("?status=succeeded").size() == 4);
        List<Received> received = receiver.receivedAt("/payments");
        assertThat(received).hasSize(4);
        received.forEach(request -> verified(request, (String) payments.get("secret")));
        assertThat(received).extracting(r -> LedgerJson.mapper().readTree(r.body()).get("type").asString())
                .containsOnly("payment.created", "payment.succeeded");
        assertThat(received).extracting(r -> LedgerJson.mapper().readTree(r.body()).get("data").get("id").asString())
                .containsOnly(first, second);
        assertThat(receiver.receivedAt("/refunds")).isEmpty();

        List<Map<String, Object>> listed = deliveries("?endpoint=" + payments.get("id"));
        assertThat(listed).hasSize(4).allSatisfy(d -> {
            assertThat((String) d.get("id")).startsWith("wd_");
            assertThat(d.get("endpoint")).isEqualTo(payments.get("id"));
            assertThat(d.get("status")).isEqualTo("succeeded");
            assertThat(d.get("attempts")).isEqualTo(1);
            assertThat(d.get("last_status_code")).isEqualTo(200);
            assertThat(d.get("next_attempt_at")).isNull();
        });
        assertThat(listed).extracting(d -> d.get("event"))
                .containsExactlyInAnyOrderElementsOf(received.stream().map(Received::webhookId).toList());
        assertThat(deliveries("?endpoint=" + refunds.get("id"))).isEmpty();

        String deliveryId = (String) listed.getFirst().get("id");
        merchant.get("/v1/webhook-deliveries/" + deliveryId + "/attempts").expectStatus().isOk().expectBody()
                .jsonPath("$.data.length()").isEqualTo(1)
                .jsonPath("$.data[0].status_code").isEqualTo(200)
                .jsonPath("$.data[0].duration_ms").exists()
                .jsonPath("$.data[0].started_at").exists();
    }

    @Test
    void a_failed_refund_and_a_dispute_from_raised_to_lost_are_delivered_to_their_subscribers() {
        Map<String, Object> outcomes = endpoint("/outcomes",
                "[\"refund.failed\",\"payment.disputed\",\"payment.dispute_won\",\"payment.dispute_lost\"]");
        String declined = (String) merchant.created("/v1/payments", "{\"amount\":500,\"currency\":\"usd\",\"source\":"
                + "{\"type\":\"card\",\"number\":\"4000000000005126\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}")
                .get("id");
        String disputed = (String) merchant.created("/v1/payments", "{\"amount\":700,\"currency\":\"usd\",\"source\":"
                + "{\"type\":\"card\",\"number\":\"4000000000002685\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}")
                .get("id");
        await().atMost(WAIT).until(() -> "succeeded".equals(merchant.read("/v1/payments/" + declined).get("status")));
        merchant.created("/v1/payments/" + declined + "/refunds", "{}");

        await().atMost(WAIT).until(() -> receiver.receivedAt("/outcomes").size() >= 3);
        List<Received> received = receiver.receivedAt("/outcomes");
        received.forEach(request -> verified(request, (String) outcomes.get("secret")));
        assertThat(received).extracting(r -> {
                    var event = LedgerJson.mapper().readTree(r.body());
                    return event.get("type").asString() + " " + event.get("data").path("payment").asString(
                            event.get("data").get("id").asString());
                })
                .containsExactlyInAnyOrder("refund.failed " + declined, "payment.disputed " + disputed,
                        "payment.dispute_lost " + disputed);
        assertThat(received).filteredOn(r -> r.body().contains("payment.dispute_lost"))
                .singleElement()
                .satisfies(r -> assertThat(LedgerJson.mapper().readTree(r.body()).get("data").get("dispute").get("status")
                        .asString()).isEqualTo("lost"));
    }

    @Test
    void a_dead_delivery_is_listed_and_a_manual_retry_delivers_it() {
        endpoint("/hook", "[\"*\"]");
        receiver.answer(request -> Answer.status(500));
        merchant.openAccount("EUR", 0);

        await().atMost(WAIT).until(() -> deliveries("?status=dead").size() == 1);
        Map<String, Object> dead = deliveries("?status=dead").getFirst();
        assertThat(dead.get("attempts")).isEqualTo(3);
        assertThat(dead.get("last_status_code")).isEqualTo(500);
        assertThat(dead.get("event_type")).isEqualTo("account.created");
        assertThat(receiver.received()).hasSize(3);

        receiver.answer(request -> Answer.ok());
        merchant.post("/v1/webhook-deliveries/" + dead.get("id") + "/retry", "{}").expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("pending");

        await().atMost(WAIT).until(() -> deliveries("?status=succeeded").size() == 1);
        assertThat(deliveries("").getFirst().get("attempts")).isEqualTo(4);
        assertThat(receiver.received()).extracting(Received::webhookId).containsOnly((String) dead.get("event"));
    }

    @Test
    void a_replay_sends_the_events_after_a_position_again_with_their_ids() {
        endpoint("/hook", "[\"account.created\"]");
        merchant.openAccount("EUR", 0);
        merchant.openAccount("USD", 0);
        await().atMost(WAIT).until(() -> deliveries("?status=succeeded").size() == 2);
        Map<String, Object> endpoint = merchant.read("/v1/webhook-endpoints");
        @SuppressWarnings("unchecked")
        String endpointId = (String) ((List<Map<String, Object>>) endpoint.get("data")).getFirst().get("id");

        merchant.post("/v1/webhook-endpoints/" + endpointId + "/replay", "{\"after_position\":0}").expectStatus().isAccepted()
                .expectBody().jsonPath("$.deliveries").isEqualTo(2).jsonPath("$.endpoint").isEqualTo(endpointId);

        await().atMost(WAIT).until(() -> receiver.received().size() == 4 && deliveries("?status=succeeded").size() == 2);
        assertThat(receiver.received().stream().map(Received::webhookId).distinct()).hasSize(2);
        merchant.post("/v1/webhook-endpoints/" + endpointId + "/replay", "{}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("after_position");
    }

    @Test
    void a_rotated_secret_signs_alongside_the_previous_one() {
        Map<String, Object> created = endpoint("/hook", "[\"*\"]");
        Map<String, Object> rotated = merchant.created("/v1/webhook-endpoints/" + created.get("id") + "/rotate-secret", "{}");
        assertThat(rotated.get("secret")).isNotEqualTo(created.get("secret"));
        assertThat(rotated.get("previous_secret_expires_at")).isNotNull();

        merchant.openAccount("EUR", 0);

        await().atMost(WAIT).until(() -> receiver.received().size() == 1);
        verified(receiver.received().getFirst(), (String) created.get("secret"));
        verified(receiver.received().getFirst(), (String) rotated.get("secret"));
    }

    @Test
    void endpoints_can_be_read_changed_listed_and_deleted_and_their_secret_is_not_shown_again() {
        Map<String, Object> one = endpoint("/one", "[\"payment.succeeded\"]");
        endpoint("/two", "[\"*\"]");
        endpoint("/three", "[\"refund.created\",\"refund.created\"]");
        String id = (String) one.get("id");

        merchant.get("/v1/webhook-endpoints/" + id).expectStatus().isOk().expectBody()
                .jsonPath("$.url").isEqualTo(receiver.url("/one"))
                .jsonPath("$.secret").doesNotExist();
        patch(merchant, "/v1/webhook-endpoints/" + id, "{\"events\":[\"payment.failed\",\"*\"],\"status\":\"disabled\","
                + "\"description\":\"ops\"}")
                .expectStatus().isOk().expectBody()
                .jsonPath("$.events[0]").isEqualTo("*")
                .jsonPath("$.events.length()").isEqualTo(1)
                .jsonPath("$.status").isEqualTo("disabled")
                .jsonPath("$.disabled_reason").isEqualTo("disabled by the merchant")
                .jsonPath("$.description").isEqualTo("ops");
        patch(merchant, "/v1/webhook-endpoints/" + id, "{\"status\":\"enabled\"}").expectStatus().isOk().expectBody()
                .jsonPath("$.status").isEqualTo("enabled").jsonPath("$.disabled_reason").isEmpty();

        merchant.get("/v1/webhook-endpoints?limit=2").expectStatus().isOk().expectBody()
                .jsonPath("$.data.length()").isEqualTo(2).jsonPath("$.has_more").isEqualTo(true)
                .jsonPath("$.data[1].id").value(second -> merchant.get("/v1/webhook-endpoints?limit=2&starting_after=" + second)
                        .expectStatus().isOk().expectBody()
                        .jsonPath("$.data.length()").isEqualTo(1)
                        .jsonPath("$.data[0].id").isEqualTo(id)
                        .jsonPath("$.has_more").isEqualTo(false));

        delete(merchant, "/v1/webhook-endpoints/" + id).expectStatus().isOk().expectBody()
                .jsonPath("$.deleted").isEqualTo(true).jsonPath("$.id").isEqualTo(id);
        merchant.get("/v1/webhook-endpoints/" + id).expectStatus().isNotFound();
        delete(merchant, "/v1/webhook-endpoints/" + id).expectStatus().isNotFound();
        merchant.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(2);
    }

    @Test
    void a_create_retried_with_its_idempotency_key_answers_the_first_response_and_creates_one_endpoint() {
        String body = "{\"url\":\"" + receiver.url("/hook") + "\",\"events\":[\"*\"]}";

        byte[] first = merchant.post("/v1/webhook-endpoints", body, "create-hook-1").expectStatus().isCreated()
                .expectBody().returnResult().getResponseBody();
        byte[] again = merchant.post("/v1/webhook-endpoints", body, "create-hook-1").expectStatus().isCreated()
                .expectBody().returnResult().getResponseBody();

        assertThat(again).isEqualTo(first);
        assertThat(json(new String(first, java.nio.charset.StandardCharsets.UTF_8)).get("secret").asString()).startsWith("whsec_");
        merchant.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(1);
        merchant.post("/v1/webhook-endpoints", body.replace("[\"*\"]", "[\"payment.failed\"]"), "create-hook-1")
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reuse");
        merchant.post("/v1/webhook-endpoints", body, "x".repeat(256)).expectStatus().isBadRequest();
        merchant.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(1);
    }

    @Test
    void another_merchants_endpoints_and_deliveries_answer_404() {
        String id = (String) endpoint("/hook", "[\"*\"]").get("id");
        merchant.openAccount("EUR", 0);
        await().atMost(WAIT).until(() -> deliveries("").size() == 1);
        String deliveryId = (String) deliveries("").getFirst().get("id");
        ApiClient other = ApiClient.newMerchant(http);

        other.get("/v1/webhook-endpoints/" + id).expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
        patch(other, "/v1/webhook-endpoints/" + id, "{\"status\":\"disabled\"}").expectStatus().isNotFound();
        delete(other, "/v1/webhook-endpoints/" + id).expectStatus().isNotFound();
        other.post("/v1/webhook-endpoints/" + id + "/rotate-secret", "{}").expectStatus().isNotFound();
        other.post("/v1/webhook-endpoints/" + id + "/replay", "{\"after_position\":0}").expectStatus().isNotFound();
        other.get("/v1/webhook-deliveries/" + deliveryId).expectStatus().isNotFound();
        other.get("/v1/webhook-deliveries/" + deliveryId + "/attempts").expectStatus().isNotFound();
        other.post("/v1/webhook-deliveries/" + deliveryId + "/retry", "{}").expectStatus().isNotFound();
        other.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
        other.get("/v1/webhook-deliveries").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
        merchant.get("/v1/webhook-endpoints/" + id).expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("enabled");
    }

    @Test
    void the_admin_sees_the_queue_and_merchants_do_not() {
        http.get().uri("/admin/webhooks/queue").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.stream").value(stream -> assertThat((String) stream).startsWith("ledgerflow:").endsWith(":webhooks"))
                .jsonPath("$.redis_available").isEqualTo(true)
                .jsonPath("$.group_exists").isEqualTo(true)
                .jsonPath("$.stream_length").isNumber()
                .jsonPath("$.in_flight").isNumber()
                .jsonPath("$.pending").isNumber()
                .jsonPath("$.scheduled_retries").isNumber()
                .jsonPath("$.dead_letters").isNumber()
                .jsonPath("$.oldest_pending_age_ms").isNumber();
        merchant.get("/admin/webhooks/queue").expectStatus().isUnauthorized();
    }

    @Nested
    class BadRequests {

        @Test
        void a_url_that_is_not_http_or_https_is_400_url_invalid() {
            merchant.post("/v1/webhook-endpoints", "{\"url\":\"ftp://example.com/x\",\"events\":[\"*\"]}")
                    .expectStatus().isBadRequest().expectBody()
                    .jsonPath("$.code").isEqualTo("url_invalid")
                    .jsonPath("$.errors[0].field").isEqualTo("url");
            merchant.post("/v1/webhook-endpoints", "{\"events\":[\"*\"]}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("url");
        }

        @Test
        void an_unknown_event_type_or_no_event_type_is_400() {
            merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + receiver.url("/x") + "\",\"events\":[\"payment.created\",\"payment.exploded\"]}")
                    .expectStatus().isBadRequest().expectBody()
                    .jsonPath("$.code").isEqualTo("invalid_request")
                    .jsonPath("$.errors[0].field").isEqualTo("events[1]");
            merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + receiver.url("/x") + "\",\"events\":[]}")
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("events");
        }

        @Test
        void unknown_fields_wrong_types_bad_filters_and_limits_are_400_and_nothing_is_created() {
            merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + receiver.url("/x") + "\",\"events\":[\"*\"],\"secret\":\"mine\"}")
                    .expectStatus().isBadRequest();
            merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + receiver.url("/x") + "\",\"events\":\"*\"}")
                    .expectStatus().isBadRequest();
            merchant.get("/v1/webhook-deliveries?status=lost").expectStatus().isBadRequest();
            merchant.get("/v1/webhook-deliveries?limit=0").expectStatus().isBadRequest();
            merchant.get("/v1/webhook-endpoints?limit=101").expectStatus().isBadRequest();
            merchant.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
        }

        @Test
        void a_retry_of_a_delivery_of_a_disabled_endpoint_is_409() {
            String id = (String) endpoint("/hook", "[\"*\"]").get("id");
            merchant.openAccount("EUR", 0);
            await().atMost(WAIT).until(() -> deliveries("?status=succeeded").size() == 1);
            patch(merchant, "/v1/webhook-endpoints/" + id, "{\"status\":\"disabled\"}").expectStatus().isOk();

            merchant.post("/v1/webhook-deliveries/" + deliveries("").getFirst().get("id") + "/retry", "{}")
                    .expectStatus().isEqualTo(409).expectBody().jsonPath("$.code").isEqualTo("invalid_state");
            merchant.post("/v1/webhook-endpoints/" + id + "/replay", "{\"after_position\":0}")
                    .expectStatus().isEqualTo(409);
        }
    }

    static JsonNode json(String body) {
        return LedgerJson.mapper().readTree(body);
    }
}
