package dev.ledgerflow.gateway.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.TestPropertySource;

/** Volume reports, account entries and balances at a past time, over HTTP. */
@TestPropertySource(properties = "ledger.acquirer-latency=1ms")
class ReportAndHistoryApiTest extends ApiTestBase {

    ApiClient merchant;

    @BeforeEach
    void newMerchant() {
        merchant = ApiClient.newMerchant(http);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> readAt(String path, String minPosition) {
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header("Ledger-Min-Position", minPosition).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    String position(org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec response) {
        return response.expectStatus().is2xxSuccessful().returnResult(String.class).getResponseHeaders().getFirst("Ledger-Position");
    }

    @Test
    @SuppressWarnings("unchecked")
    void volume_counts_captures_and_refunds_per_day_and_hour() {
        String a = (String) merchant.created("/v1/payments", card(1_000)).get("id");
        String b = (String) merchant.created("/v1/payments", card(500)).get("id");
        merchant.created("/v1/payments", "{\"amount\":300,\"currency\":\"EUR\",\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}");
        awaitStatus(a, "succeeded");
        awaitStatus(b, "succeeded");
        merchant.post("/v1/payments/" + a + "/refunds", "{\"amount\":250}").expectStatus().isAccepted();
        await().atMost(Duration.ofSeconds(20)).until(() -> ((Number) merchant.read("/v1/payments/" + a).get("amount_refunded")).longValue() == 250);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<Map<String, Object>> days = (List<Map<String, Object>>) merchant.read("/v1/reports/volume?interval=day").get("data");
            assertThat(days).hasSize(2);
            Map<String, Object> usd = days.stream().filter(d -> d.get("currency").equals("USD")).findFirst().orElseThrow();
            assertThat(usd).containsEntry("count", 2).containsEntry("gross", 1_500).containsEntry("refund_count", 1)
                    .containsEntry("refunded", 250).containsEntry("net", 1_250)
                    .containsEntry("period_start", Instant.now().truncatedTo(ChronoUnit.DAYS).toString());
        });
        List<Map<String, Object>> hours = (List<Map<String, Object>>) merchant.read("/v1/reports/volume?interval=hour&currency=eur")
                .get("data");
        assertThat(hours).singleElement().satisfies(h -> assertThat(h).containsEntry("currency", "EUR")
                .containsEntry("count", 1).containsEntry("gross", 300).containsEntry("net", 300));
        assertThat((List<?>) merchant.read("/v1/reports/volume?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z").get("data")).isEmpty();
        assertThat((List<?>) ApiClient.newMerchant(http).read("/v1/reports/volume").get("data")).isEmpty();

        merchant.get("/v1/reports/volume?interval=week").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("interval");
        merchant.get("/v1/reports/volume?currency=dollars").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].code").isEqualTo("currency_invalid");
        merchant.get("/v1/reports/volume?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z").expectStatus().isBadRequest();
    }

    @Test
    @SuppressWarnings("unchecked")
    void entries_list_postings_newest_first_with_the_balance_after_each_and_balances_at_past_times() {
        String account = merchant.openAccount("USD", 100);
        String other = merchant.openAccount("USD", 0);
        position(merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":1000}"));
        Instant afterDeposit = clockPast(Instant.now()); // the deposit was acknowledged before
        clockPast(afterDeposit);
        String last = position(merchant.post("/v1/transfers", "{\"from_account\":\"" + account + "\",\"to_account\":\"" + other
                + "\",\"amount\":400,\"currency\":\"USD\"}"));

        Map<String, Object> page = readAt("/v1/accounts/" + account + "/entries", last);
        List<Map<String, Object>> entries = (List<Map<String, Object>>) page.get("data");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).containsEntry("type", "transfer.posted").containsEntry("posted_change", -400)
                .containsEntry("pending_change", 0).containsEntry("account", account).containsEntry("currency", "USD");
        assertThat((Map<String, Object>) entries.get(0).get("balance"))
                .containsEntry("posted", 600).containsEntry("pending", 0).containsEntry("available", 700);
        assertThat(entries.get(1)).containsEntry("type", "deposit.posted").containsEntry("posted_change", 1000);
        assertThat((String) entries.get(1).get("object")).startsWith("dep_");
        assertThat((String) entries.get(1).get("event")).startsWith("evt_");

        Map<String, Object> first = merchant.read("/v1/accounts/" + account + "/entries?limit=1");
        assertThat(first.get("has_more")).isEqualTo(true);
        String cursor = (String) ((List<Map<String, Object>>) first.get("data")).getFirst().get("id");
        Map<String, Object> second = merchant.read("/v1/accounts/" + account + "/entries?limit=1&starting_after=" + cursor);
        assertThat(second.get("has_more")).isEqualTo(false);
        assertThat(((List<Map<String, Object>>) second.get("data")).getFirst().get("type")).isEqualTo("deposit.posted");

        assertThat((Map<String, Object>) merchant.read("/v1/accounts/" + account + "/balance?at=" + afterDeposit).get("balance"))
                .containsEntry("posted", 1000).containsEntry("available", 1100);
        assertThat((Map<String, Object>) merchant.read("/v1/accounts/" + account + "/balance?at=2000-01-01T00:00:00Z").get("balance"))
                .containsEntry("posted", 0).containsEntry("pending", 0).containsEntry("available", 100);
        Map<String, Object> now = readAt("/v1/accounts/" + account + "/balance", last);
        assertThat((Map<String, Object>) now.get("balance")).containsEntry("posted", 600);
        assertThat(now.get("last_entry")).isEqualTo(entries.get(0).get("id"));

        ApiClient stranger = ApiClient.newMerchant(http);
        stranger.get("/v1/accounts/" + account + "/entries").expectStatus().isNotFound();
        stranger.get("/v1/accounts/" + account + "/balance").expectStatus().isNotFound();
        merchant.get("/v1/accounts/" + account + "/balance?at=noon").expectStatus().isBadRequest();
        merchant.get("/v1/accounts/" + account + "/entries?starting_after=ent_other_1").expectStatus().isBadRequest();
    }

    @Test
    @SuppressWarnings("unchecked")
    void a_wallet_hold_shows_as_a_pending_entry_and_its_capture_as_the_release_and_the_debit() {
        String account = merchant.openAccount("USD", 0);
        merchant.deposit(account, 900);
        String payment = (String) merchant.created("/v1/payments", "{\"amount\":300,\"currency\":\"USD\",\"capture_method\":\"manual\","
                + "\"source\":{\"type\":\"account\",\"account\":\"" + account + "\"}}").get("id");
        awaitStatus(payment, "requires_capture");
        String captured = position(merchant.post("/v1/payments/" + payment + "/capture", "{}"));
        List<Map<String, Object>> entries = (List<Map<String, Object>>) readAt("/v1/accounts/" + account + "/entries", captured)
                .get("data");
        assertThat(entries).extracting(e -> e.get("type")).containsExactly("payment.succeeded", "payment.created", "deposit.posted");
        assertThat(entries.get(1)).containsEntry("pending_change", 300).containsEntry("object", payment);
        assertThat((Map<String, Object>) entries.get(1).get("balance")).containsEntry("posted", 900).containsEntry("available", 600);
        assertThat(entries.get(0)).containsEntry("posted_change", -300).containsEntry("pending_change", -300);
        assertThat((Map<String, Object>) entries.get(0).get("balance")).containsEntry("posted", 600).containsEntry("pending", 0);
    }

    void awaitStatus(String id, String status) {
        await().atMost(Duration.ofSeconds(20)).until(() -> status.equals(merchant.read("/v1/payments/" + id).get("status")));
    }

    static String card(long amount) {
        return "{\"amount\":" + amount + ",\"currency\":\"USD\",\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}";
    }

    static String utcDay() {
        return Instant.now().atOffset(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant().toString();
    }
}
