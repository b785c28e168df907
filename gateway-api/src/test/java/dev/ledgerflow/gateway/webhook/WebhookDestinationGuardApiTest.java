package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;

/** With the production default, endpoints on private, loopback and link-local addresses are refused (SSRF guard). */
@TestPropertySource(properties = "ledger.webhooks.allow-private-destinations=false")
class WebhookDestinationGuardApiTest extends ApiTestBase {

    ApiClient merchant;

    @BeforeEach
    void newMerchant() {
        merchant = ApiClient.newMerchant(http);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost:8080/hook", "http://127.0.0.1/hook", "https://10.0.0.8/hook",
            "http://169.254.169.254/latest/meta-data/", "http://[::1]:9000/hook", "https://192.168.1.20/hook", "http://0.0.0.0/"})
    void a_private_destination_is_refused_at_registration(String url) {
        merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + url + "\",\"events\":[\"*\"]}")
                .expectStatus().isBadRequest().expectBody()
                .jsonPath("$.code").isEqualTo("url_invalid")
                .jsonPath("$.errors[0].field").isEqualTo("url");
        merchant.get("/v1/webhook-endpoints").expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
    }

    @Test
    void a_public_destination_is_accepted_and_cannot_be_moved_to_a_private_one() {
        // A documentation address (TEST-NET-3): public, and never called here since this merchant has no events.
        String id = (String) merchant.created("/v1/webhook-endpoints",
                "{\"url\":\"https://203.0.113.10/hook\",\"events\":[\"payment.succeeded\"]}").get("id");

        http.patch().uri("/v1/webhook-endpoints/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"url\":\"http://127.0.0.1:5432/\"}").exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("url_invalid");
        merchant.get("/v1/webhook-endpoints/" + id).expectStatus().isOk().expectBody()
                .jsonPath("$.url").isEqualTo("https://203.0.113.10/hook");
    }
}
