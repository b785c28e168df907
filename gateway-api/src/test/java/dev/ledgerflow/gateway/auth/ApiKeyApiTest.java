package dev.ledgerflow.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.pool.ConnectionPool;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.reactive.server.WebTestClient;

class ApiKeyApiTest extends ApiTestBase {

    @Autowired
    ConnectionPool pool;

    @Autowired
    ApiKeyRepository repository;

    @Test
    void a_merchant_creates_a_second_key_shown_once_and_both_work() {
        ApiClient merchant = ApiClient.newMerchant(http);
        Map<String, Object> created = merchant.created("/v1/api-keys", "{}");
        String second = (String) created.get("api_key");
        assertThat(second).startsWith("sk_").hasSize(67);
        assertThat(created.get("id")).asString().startsWith("key_");
        assertThat(created.get("last4")).isEqualTo(second.substring(63));

        call(second, "/v1/balance").expectStatus().isOk();
        call(merchant.key(), "/v1/balance").expectStatus().isOk();
        merchant.get("/v1/api-keys").expectStatus().isOk().expectBody()
                .jsonPath("$.data.length()").isEqualTo(2)
                .jsonPath("$.data[0].id").isEqualTo(created.get("id"))
                .jsonPath("$.data[0].status").isEqualTo("active")
                .jsonPath("$.data[0].api_key").doesNotExist()
                .jsonPath("$.data[1].api_key").doesNotExist();
    }

    @Test
    void a_revoked_key_answers_401_at_once() {
        ApiClient merchant = ApiClient.newMerchant(http);
        Map<String, Object> created = merchant.created("/v1/api-keys", "{}");
        String second = (String) created.get("api_key");
        call(second, "/v1/balance").expectStatus().isOk(); // now remembered by this instance

        http.delete().uri("/v1/api-keys/" + created.get("id")).header("Authorization", "Bearer " + merchant.key())
                .exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.status").isEqualTo("revoked")
                .jsonPath("$.revoked_at").exists();

        call(second, "/v1/balance").expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.code").isEqualTo("unauthenticated");
        call(merchant.key(), "/v1/balance").expectStatus().isOk();
    }

    @Test
    void a_merchant_may_revoke_the_key_it_calls_with_but_not_its_last_one() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String firstId = (String) ((List<Map<String, Object>>) merchant.read("/v1/api-keys").get("data")).getFirst().get("id");
        http.delete().uri("/v1/api-keys/" + firstId).header("Authorization", "Bearer " + merchant.key())
                .exchange().expectStatus().isEqualTo(409).expectBody().jsonPath("$.code").isEqualTo("invalid_state");
        call(merchant.key(), "/v1/balance").expectStatus().isOk();

        String second = (String) merchant.created("/v1/api-keys", "{}").get("api_key");
        http.delete().uri("/v1/api-keys/" + firstId).header("Authorization", "Bearer " + merchant.key())
                .exchange().expectStatus().isOk();
        call(merchant.key(), "/v1/balance").expectStatus().isUnauthorized();
        call(second, "/v1/balance").expectStatus().isOk();
    }

    @Test
    void another_merchants_key_is_404_and_stays_live() {
        ApiClient one = ApiClient.newMerchant(http);
        ApiClient other = ApiClient.newMerchant(http);
        Map<String, Object> created = other.created("/v1/api-keys", "{}");
        http.delete().uri("/v1/api-keys/" + created.get("id")).header("Authorization", "Bearer " + one.key())
                .exchange().expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
        call((String) created.get("api_key"), "/v1/balance").expectStatus().isOk();
    }

    @Test
    void the_admin_key_cannot_manage_merchant_keys() {
        call(ApiTest.ADMIN_KEY, "/v1/api-keys").expectStatus().isUnauthorized();
    }

    @Nested
    class Storage {

        @Test
        void keys_are_stored_as_an_hmac_under_the_server_key_not_as_their_plain_digest() {
            ApiClient merchant = ApiClient.newMerchant(http);
            List<String> stored = Sql.query(pool, "select key_hash, hash_scheme from api_keys where merchant_id = $1",
                    s -> s.bind("$1", merchant.merchantId),
                    row -> row.get("hash_scheme", String.class) + ":" + row.get("key_hash", String.class)).collectList().block();
            String plainDigest = ApiKeys.sha256(merchant.key());
            String keyed = new ApiKeys(ApiTest.API_KEYS_HASH_KEY.getBytes()).hash(merchant.key());
            assertThat(stored).containsExactly("hmac:" + keyed);
            assertThat(keyed).isNotEqualTo(plainDigest);
            assertThat(new ApiKeys("another-server-key-0123456789".getBytes()).hash(merchant.key())).isNotEqualTo(keyed);
        }

        @Test
        void a_key_stored_as_plain_sha256_before_the_keyed_hash_is_migrated_in_place_and_keeps_working() {
            ApiClient merchant = ApiClient.newMerchant(http);
            String legacyKey = ApiKeys.newKey();
            Sql.update(pool, "insert into api_keys (id, merchant_id, key_hash, hash_scheme, last4, created_at)"
                            + " values ('key_legacy', $1, $2, 'sha256', '????', $3)",
                    s -> s.bind("$1", merchant.merchantId).bind("$2", ApiKeys.sha256(legacyKey))
                            .bind("$3", OffsetDateTime.now())).block();
            call(legacyKey, "/v1/balance").expectStatus().isUnauthorized(); // only keyed hashes are looked up

            assertThat(repository.rehashLegacy().block()).isEqualTo(1);

            call(legacyKey, "/v1/balance").expectStatus().isOk();
            String scheme = Sql.query(pool, "select hash_scheme from api_keys where id = 'key_legacy'", s -> s,
                    row -> row.get("hash_scheme", String.class)).blockFirst();
            assertThat(scheme).isEqualTo("hmac");
            assertThat(repository.rehashLegacy().block()).isZero();
        }
    }

    private WebTestClient.ResponseSpec call(String key, String path) {
        return http.get().uri(path).header("Authorization", "Bearer " + key).exchange();
    }
}
