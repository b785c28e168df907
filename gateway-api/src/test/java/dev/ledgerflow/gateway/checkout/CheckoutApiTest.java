package dev.ledgerflow.gateway.checkout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

class CheckoutApiTest extends ApiTestBase {

    static final String SESSION = """
            {"amount": 2500, "currency": "inr", "description": "Two books",
             "success_url": "https://shop.example/thanks", "cancel_url": "https://shop.example/cart"}""";
    static final String CARD = """
            {"source": {"type": "card", "number": "%s", "exp_month": 12, "exp_year": 2099, "cvc": "123"}}""";

    @Autowired
    ConnectionPool pool;

    @Test
    void a_merchant_creates_a_session_with_a_url_that_expires_in_30_minutes() {
        ApiClient merchant = ApiClient.newMerchant(http);
        Map<String, Object> session = merchant.created("/v1/checkout/sessions", SESSION);
        String id = (String) session.get("id");
        assertThat(id).startsWith("cs_").hasSizeGreaterThan(40);
        assertThat(session.get("url")).isEqualTo("/checkout/" + id);
        assertThat(session.get("status")).isEqualTo("open");
        assertThat(session.get("currency")).isEqualTo("INR");
        assertThat(session.get("methods")).isEqualTo(java.util.List.of("card", "upi"));
        assertThat(session.get("payment")).isNull();
        Instant expires = Instant.parse((String) session.get("expires_at"));
        Instant created = Instant.parse((String) session.get("created_at"));
        assertThat(Duration.between(created, expires)).isEqualTo(Duration.ofMinutes(30));
        merchant.get("/v1/checkout/sessions/" + id).expectStatus().isOk().expectBody().jsonPath("$.id").isEqualTo(id);
    }

    @Test
    void the_session_page_data_needs_no_key_and_shows_nothing_else_of_the_merchant() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
        http.get().uri("/v1/checkout/sessions/" + id + "/public").exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.status").isEqualTo("open")
                .jsonPath("$.amount").isEqualTo(2500)
                .jsonPath("$.merchant_name").isEqualTo("Test merchant")
                .jsonPath("$.merchant_id").doesNotExist()
                .jsonPath("$.success_url").isEqualTo("https://shop.example/thanks");
        // without the key, the merchant's view of the same session and everything else stays closed
        http.get().uri("/v1/checkout/sessions/" + id).exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/checkout/sessions/" + id + "/public/x").exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/checkout/sessions/cs_unknown/public").exchange().expectStatus().isNotFound()
                .expectBody().jsonPath("$.code").isEqualTo("not_found");
        ApiClient.newMerchant(http).get("/v1/checkout/sessions/" + id).expectStatus().isNotFound();
    }

    @Nested
    class Paying {

        @Test
        void by_card_creates_a_normal_payment_that_completes_the_session_and_it_cannot_be_paid_twice() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
            String body = pay(id, CARD.formatted("4242424242424242")).expectStatus().isAccepted()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(body).doesNotContain("4242424242424242").contains("\"stream_token\":\"stk_");
            String paymentId = (String) ((Map<?, ?>) view(id).get("payment")).get("id");

            await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(view(id).get("status")));
            merchant.get("/v1/payments/" + paymentId).expectStatus().isOk().expectBody()
                    .jsonPath("$.status").isEqualTo("succeeded")
                    .jsonPath("$.amount").isEqualTo(2500)
                    .jsonPath("$.source.last4").isEqualTo("4242")
                    .jsonPath("$.metadata.checkout_session").isEqualTo(id);
            merchant.get("/v1/checkout/sessions/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.status").isEqualTo("complete").jsonPath("$.payment").isEqualTo(paymentId);

            pay(id, CARD.formatted("4242424242424242")).expectStatus().isEqualTo(409)
                    .expectBody().jsonPath("$.code").isEqualTo("checkout_session_complete");
        }

        @Test
        void of_many_concurrent_attempts_exactly_one_is_taken() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
            var statuses = reactor.core.publisher.Flux.range(0, 8)
                    .flatMap(i -> reactor.core.publisher.Mono.fromCallable(() -> pay(id, CARD.formatted("4242424242424242"))
                                    .returnResult(String.class).getStatus().value())
                            .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()))
                    .collectList().block(Duration.ofSeconds(60));
            assertThat(statuses).containsOnly(202, 409);
            assertThat(statuses).filteredOn(status -> status == 202).hasSize(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(view(id).get("status")));
            String paymentId = (String) ((Map<?, ?>) view(id).get("payment")).get("id");
            await().atMost(Duration.ofSeconds(30)).until(() -> ((java.util.List<?>) merchant.read("/v1/payments?limit=100")
                    .get("data")).size() == 1);
            merchant.get("/v1/payments?limit=100").expectStatus().isOk().expectBody()
                    .jsonPath("$.data.length()").isEqualTo(1)
                    .jsonPath("$.data[0].id").isEqualTo(paymentId);
        }

        @Test
        void a_declined_card_leaves_the_session_open_for_another_attempt() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
            pay(id, CARD.formatted("4000000000000002")).expectStatus().isAccepted();
            await().atMost(Duration.ofSeconds(30)).until(() -> "open".equals(view(id).get("status")));
            assertThat(((Map<?, ?>) view(id).get("payment")).get("failure_code")).isEqualTo("card_declined");

            pay(id, "{\"source\": {\"type\": \"upi\", \"vpa\": \"success@upi\"}}").expectStatus().isAccepted();
            await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(view(id).get("status")));
        }

        @Test
        void by_upi_when_the_session_allows_only_upi() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions",
                    SESSION.replace("\"description\"", "\"methods\": [\"upi\"], \"description\"")).get("id");
            pay(id, CARD.formatted("4242424242424242")).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("source.type");
            pay(id, "{\"source\": {\"type\": \"upi\", \"vpa\": \"success@upi\"}}").expectStatus().isAccepted();
            await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(view(id).get("status")));
        }

        @Test
        void bad_card_details_are_a_400_and_change_nothing() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
            pay(id, CARD.formatted("4242424242424241")).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("card_number_invalid");
            pay(id, "{\"source\": {\"type\": \"account\", \"account\": \"acc_x\"}}").expectStatus().isBadRequest();
            pay(id, "{\"source\": {\"type\": \"upi\", \"vpa\": \"nobank\"}}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("vpa_invalid");
            pay(id, "{\"amount\": 1}").expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("invalid_request");
            assertThat(view(id).get("status")).isEqualTo("open");
            assertThat(view(id).get("payment")).isNull();
        }

        @Test
        void an_expired_session_cannot_be_paid() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
            // time passes: the session's expiry is behind us
            Sql.update(pool, "update checkout_sessions set expires_at = now() - interval '1 second' where id = $1",
                    s -> s.bind("$1", id)).block();
            assertThat(view(id).get("status")).isEqualTo("expired");
            pay(id, CARD.formatted("4242424242424242")).expectStatus().isEqualTo(409)
                    .expectBody().jsonPath("$.code").isEqualTo("checkout_session_expired");
        }
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void the_card_number_is_in_no_answer_no_stored_row_and_no_log_line(org.springframework.boot.test.system.CapturedOutput output) {
        ApiClient merchant = ApiClient.newMerchant(http);
        String id = (String) merchant.created("/v1/checkout/sessions", SESSION).get("id");
        String number = "5555555555554444";
        String answer = pay(id, CARD.formatted(number)).expectStatus().isAccepted().expectBody(String.class)
                .returnResult().getResponseBody();
        await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(view(id).get("status")));
        String paymentId = (String) ((Map<?, ?>) view(id).get("payment")).get("id");
        String events = merchant.get("/v1/payments/" + paymentId + "/events").expectStatus().isOk().expectBody(String.class)
                .returnResult().getResponseBody();

        Long storedRows = Sql.query(pool, "select (select count(*) from events where payload::text like $1 or metadata::text like $1)"
                        + " + (select count(*) from checkout_sessions s where s::text like $1) as n",
                s -> s.bind("$1", "%" + number + "%"), row -> row.get("n", Long.class)).blockFirst();
        assertThat(storedRows).isZero();
        assertThat(answer).doesNotContain(number).contains("\"last4\":\"4444\"");
        assertThat(events).doesNotContain(number);
        assertThat(output.getAll()).doesNotContain(number);
    }

    @Nested
    class BadInput {

        @Test
        void each_bad_field_is_a_400_naming_it() {
            ApiClient merchant = ApiClient.newMerchant(http);
            merchant.post("/v1/checkout/sessions", SESSION.replace("2500", "0")).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
            merchant.post("/v1/checkout/sessions", SESSION.replace("https://shop.example/thanks", "javascript:alert(1)"))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("success_url");
            merchant.post("/v1/checkout/sessions", SESSION.replace("\"description\"", "\"methods\": [\"cash\"], \"description\""))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("methods");
            merchant.post("/v1/checkout/sessions", SESSION.replace("\"description\"", "\"expires_in_seconds\": 999999, \"description\""))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("expires_in_seconds");
            merchant.post("/v1/checkout/sessions", SESSION.replace("\"description\"", "\"colour\": 1, \"description\""))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("invalid_request");
        }
    }

    private WebTestClient.ResponseSpec pay(String id, String json) {
        return http.post().uri("/v1/checkout/sessions/" + id + "/pay").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json).exchange();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> view(String id) {
        return http.get().uri("/v1/checkout/sessions/" + id + "/public").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
    }
}
