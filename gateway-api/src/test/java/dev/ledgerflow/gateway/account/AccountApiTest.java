package dev.ledgerflow.gateway.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccountApiTest extends ApiTestBase {

    ApiClient merchant;

    @BeforeEach
    void newMerchant() {
        merchant = ApiClient.newMerchant(http);
    }

    @Test
    void an_account_opens_empty_in_upper_case_currency_with_its_limit_and_metadata() {
        merchant.post("/v1/accounts", "{\"currency\":\"usd\",\"overdraft_limit\":500,\"metadata\":{\"owner\":\"ana\"}}")
                .expectStatus().isCreated()
                .expectHeader().exists("Ledger-Position")
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("acc_"))
                .jsonPath("$.currency").isEqualTo("USD")
                .jsonPath("$.overdraft_limit").isEqualTo(500)
                .jsonPath("$.balance.posted").isEqualTo(0)
                .jsonPath("$.balance.pending").isEqualTo(0)
                .jsonPath("$.balance.available").isEqualTo(500)
                .jsonPath("$.metadata.owner").isEqualTo("ana")
                .jsonPath("$.created_at").exists();
    }

    @Test
    void a_deposit_posts_to_the_balance() {
        String account = merchant.openAccount("EUR", 0);
        merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":1500}")
                .expectStatus().isCreated()
                .expectHeader().exists("Ledger-Position")
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("dep_"))
                .jsonPath("$.account").isEqualTo(account)
                .jsonPath("$.amount").isEqualTo(1500)
                .jsonPath("$.currency").isEqualTo("EUR");

        merchant.get("/v1/accounts/" + account).expectStatus().isOk().expectBody()
                .jsonPath("$.balance.posted").isEqualTo(1500)
                .jsonPath("$.balance.available").isEqualTo(1500);
    }

    @Test
    void another_merchants_account_is_not_found() {
        String account = merchant.openAccount("USD", 0);
        ApiClient other = ApiClient.newMerchant(http);

        other.get("/v1/accounts/" + account).expectStatus().isNotFound()
                .expectBody().jsonPath("$.code").isEqualTo("not_found");
        other.post("/v1/accounts/" + account + "/deposits", "{\"amount\":1}").expectStatus().isNotFound();
        merchant.get("/v1/accounts/acc_nope").expectStatus().isNotFound();
    }

    @Nested
    class BadInput {

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "{\"currency\":\"ABC\"}                     | currency_invalid | currency",
            "{\"currency\":\"usdollar\"}                | currency_invalid | currency",
            "{}                                         | currency_invalid | currency",
            "{\"currency\":\"USD\",\"overdraft_limit\":-1} | invalid_request | overdraft_limit",
            "{\"currency\":\"USD\",\"overdraft_limit\":\"5\"} | invalid_request | overdraft_limit",
            "{\"currency\":\"USD\",\"metadata\":{\"a\":1}} | invalid_request | metadata.a",
            "{\"currency\":\"USD\",\"colour\":\"red\"}    | invalid_request | colour",
        })
        void an_invalid_account_is_400_and_opens_nothing(String body, String code, String field) {
            merchant.post("/v1/accounts", body).expectStatus().isBadRequest()
                    .expectBody()
                    .jsonPath("$.code").isEqualTo(code)
                    .jsonPath("$.errors[0].field").isEqualTo(field);
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "{\"amount\":0}                      | amount_invalid",
            "{\"amount\":-5}                     | amount_invalid",
            "{\"amount\":1000000000001}          | amount_invalid",
            "{\"amount\":100000000000000000000}  | invalid_request",
            "{\"amount\":12.5}                   | invalid_request",
            "{\"amount\":\"100\"}                | invalid_request",
            "{\"amount\":null}                   | amount_invalid",
            "{}                                  | amount_invalid",
        })
        void an_invalid_deposit_is_400_and_moves_nothing(String body, String code) {
            String account = merchant.openAccount("USD", 0);
            merchant.post("/v1/accounts/" + account + "/deposits", body).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo(code);
            assertThat(merchant.available(account)).isZero();
        }
    }

    @Nested
    class Idempotency {

        @Test
        void a_replay_returns_the_original_status_body_and_position_byte_for_byte() {
            String account = merchant.openAccount("USD", 0);
            var first = merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":700}", "dep-key-1")
                    .expectStatus().isCreated().expectBody().returnResult();
            var second = merchant.post("/v1/accounts/" + account + "/deposits", "{ \"amount\": 700 }", "dep-key-1")
                    .expectStatus().isCreated().expectBody().returnResult();

            assertThat(second.getResponseBody()).isEqualTo(first.getResponseBody());
            assertThat(second.getResponseHeaders().getFirst("Ledger-Position"))
                    .isEqualTo(first.getResponseHeaders().getFirst("Ledger-Position"));
            assertThat(merchant.available(account)).isEqualTo(700);
        }

        @Test
        void the_same_key_with_another_body_is_422_and_changes_nothing() {
            String account = merchant.openAccount("USD", 0);
            merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":700}", "dep-key-2").expectStatus().isCreated();

            merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":800}", "dep-key-2")
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reuse");
            assertThat(merchant.available(account)).isEqualTo(700);
        }

        @Test
        void keys_are_scoped_per_merchant() {
            ApiClient other = ApiClient.newMerchant(http);
            String mine = merchant.openAccount("USD", 0);
            String theirs = other.openAccount("USD", 0);
            merchant.post("/v1/accounts/" + mine + "/deposits", "{\"amount\":1}", "shared-key").expectStatus().isCreated();
            other.post("/v1/accounts/" + theirs + "/deposits", "{\"amount\":2}", "shared-key").expectStatus().isCreated();
            assertThat(other.available(theirs)).isEqualTo(2);
        }

        @Test
        void a_key_longer_than_255_characters_is_400() {
            merchant.post("/v1/accounts", "{\"currency\":\"USD\"}", "k".repeat(256)).expectStatus().isBadRequest();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void the_merchant_balance_lists_settlement_per_currency() {
        Map<String, Object> body = merchant.read("/v1/balance");
        assertThat((java.util.List<Object>) body.get("data")).isEmpty();
    }
}
