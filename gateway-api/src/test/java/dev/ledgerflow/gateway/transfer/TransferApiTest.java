package dev.ledgerflow.gateway.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import reactor.core.publisher.Flux;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.reactive.function.client.WebClient;

class TransferApiTest extends ApiTestBase {

    @Autowired
    AccountBalances balances;

    @LocalServerPort
    int port;

    ApiClient merchant;
    String from;
    String to;

    @BeforeEach
    void accounts() {
        merchant = ApiClient.newMerchant(http);
        from = merchant.openAccount("USD", 100);
        to = merchant.openAccount("USD", 0);
        merchant.deposit(from, 1_000);
    }

    @Test
    void a_transfer_posts_from_one_account_to_the_other() {
        merchant.post("/v1/transfers", transfer(from, to, 300, "usd"))
                .expectStatus().isCreated()
                .expectHeader().exists("Ledger-Position")
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("tr_"))
                .jsonPath("$.status").isEqualTo("posted")
                .jsonPath("$.from_account").isEqualTo(from)
                .jsonPath("$.to_account").isEqualTo(to)
                .jsonPath("$.amount").isEqualTo(300)
                .jsonPath("$.currency").isEqualTo("USD");

        assertThat(merchant.available(from)).isEqualTo(1_000 - 300 + 100);
        assertThat(merchant.available(to)).isEqualTo(300);
    }

    @Test
    void a_transfer_may_use_the_overdraft_limit_but_never_go_below_it() {
        merchant.post("/v1/transfers", transfer(from, to, 1_100, "USD")).expectStatus().isCreated();

        merchant.post("/v1/transfers", transfer(from, to, 1, "USD"))
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("insufficient_funds");
        assertThat(merchant.available(from)).isZero();
    }

    @Test
    void rejections_use_the_documented_codes() {
        String euros = merchant.openAccount("EUR", 0);
        merchant.post("/v1/transfers", transfer(from, from, 1, "USD")).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("same_account");
        merchant.post("/v1/transfers", transfer(from, euros, 1, "USD")).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("currency_mismatch");
        merchant.post("/v1/transfers", transfer(from, to, 1, "EUR")).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("currency_mismatch");
        merchant.post("/v1/transfers", transfer(from, to, 0, "USD")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
        merchant.post("/v1/transfers", transfer(from, "acc_unknown", 1, "USD")).expectStatus().isNotFound();
        merchant.post("/v1/transfers", "{\"from_account\":\"" + from + "\",\"amount\":1,\"currency\":\"USD\"}")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("to_account");
        assertThat(merchant.available(from)).isEqualTo(1_100);
    }

    @Test
    void another_merchants_account_cannot_be_debited() {
        ApiClient other = ApiClient.newMerchant(http);
        String theirs = other.openAccount("USD", 0);
        other.post("/v1/transfers", transfer(from, theirs, 1, "USD")).expectStatus().isNotFound();
        merchant.get("/v1/transfers/tr_nope").expectStatus().isNotFound();
    }

    @Test
    void of_200_concurrent_transfers_exactly_the_affordable_ones_succeed_and_the_books_balance() {
        // 1,100 available (1,000 posted + 100 overdraft): 36 transfers of 30 fit, the 37th would not.
        WebClient client = WebClient.create("http://localhost:" + port);
        List<Integer> statuses = Flux.range(0, 200)
                .flatMap(n -> client.post().uri("/v1/transfers")
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(transfer(from, to, 30, "USD"))
                        .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())), 200)
                .collectList()
                .block();

        assertThat(statuses).filteredOn(s -> s == 201).hasSize(36);
        assertThat(statuses).filteredOn(s -> s == 422).hasSize(164);
        assertThat(merchant.available(from)).isEqualTo(1_100 - 36 * 30);
        assertThat(merchant.available(to)).isEqualTo(36 * 30);
        assertThat(balances.sumsPerCurrency().collectList().block())
                .allSatisfy(sum -> assertThat(sum.postedMinor()).as(sum.currency()).isZero());
    }

    static String transfer(String from, String to, long amount, String currency) {
        return "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to + "\",\"amount\":" + amount
                + ",\"currency\":\"" + currency + "\"}";
    }
}
