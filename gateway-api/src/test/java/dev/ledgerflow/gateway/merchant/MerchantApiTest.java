package dev.ledgerflow.gateway.merchant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class MerchantApiTest extends ApiTestBase {

    @Test
    void the_admin_creates_a_merchant_and_sees_its_key_once() {
        http.post().uri("/v1/merchants")
                .header("Authorization", "Bearer " + ApiTest.ADMIN_KEY)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\": \"Acme Books\"}")
                .exchange()
                .expectStatus().isCreated()
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("mer_"))
                .jsonPath("$.name").isEqualTo("Acme Books")
                .jsonPath("$.api_key").value(key -> assertThat((String) key).startsWith("sk_").hasSize(67))
                .jsonPath("$.created_at").exists();
    }

    @Nested
    class Authentication {

        @Test
        void no_key_is_401_unauthenticated() {
            http.post().uri("/v1/merchants").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"x\"}")
                    .exchange()
                    .expectStatus().isUnauthorized()
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.code").isEqualTo("unauthenticated")
                    .jsonPath("$.status").isEqualTo(401)
                    .jsonPath("$.type").exists()
                    .jsonPath("$.title").exists()
                    .jsonPath("$.detail").exists();
        }

        @Test
        void a_wrong_key_is_401() {
            http.post().uri("/v1/merchants").header("Authorization", "Bearer ak_wrong")
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"x\"}")
                    .exchange()
                    .expectStatus().isUnauthorized();
        }

        @Test
        void a_merchant_key_cannot_create_merchants() {
            String key = createMerchantKey();
            http.post().uri("/v1/merchants").header("Authorization", "Bearer " + key)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"x\"}")
                    .exchange()
                    .expectStatus().isUnauthorized();
        }
    }

    @Nested
    class BadInput {

        @Test
        void malformed_json_is_400_invalid_request() {
            post("{\"name\": ").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
        }

        @Test
        void an_unknown_field_is_400_naming_the_field() {
            post("{\"name\": \"a\", \"colour\": \"red\"}").expectStatus().isBadRequest()
                    .expectBody()
                    .jsonPath("$.code").isEqualTo("invalid_request")
                    .jsonPath("$.errors[0].field").isEqualTo("colour");
        }

        @Test
        void a_wrong_type_is_400_naming_the_field() {
            post("{\"name\": 5}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("name");
        }

        @Test
        void a_missing_field_is_400_naming_the_field() {
            post("{}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("name");
        }

        @Test
        void a_body_that_is_not_an_object_is_400() {
            post("[1, 2]").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
        }

        @Test
        void a_body_over_64_kib_is_413() {
            post("{\"name\": \"" + "a".repeat(70_000) + "\"}").expectStatus().isEqualTo(413)
                    .expectBody().jsonPath("$.code").isEqualTo("payload_too_large");
        }

        @Test
        void another_content_type_is_415() {
            http.post().uri("/v1/merchants").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY)
                    .contentType(MediaType.TEXT_PLAIN).bodyValue("name=x")
                    .exchange()
                    .expectStatus().isEqualTo(415)
                    .expectBody().jsonPath("$.code").isEqualTo("unsupported_media_type");
        }

        @Test
        void an_unknown_path_is_404_problem() {
            http.get().uri("/v1/merchants/nope/whatever").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY)
                    .exchange()
                    .expectStatus().isNotFound()
                    .expectBody().jsonPath("$.code").isEqualTo("not_found");
        }

        private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec post(String body) {
            return http.post().uri("/v1/merchants").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
        }
    }

    String createMerchantKey() {
        return http.post().uri("/v1/merchants").header("Authorization", "Bearer " + ApiTest.ADMIN_KEY)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"m\"}")
                .exchange().expectStatus().isCreated()
                .expectBody(java.util.Map.class).returnResult().getResponseBody().get("api_key").toString();
    }
}
