package dev.ledgerflow.gateway.balancemonitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.balancemonitor.BalanceMonitorEvaluator;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

/** {@code /v1/balance-monitors}: create, read, list, delete over HTTP, and monitors firing from real postings. */
class BalanceMonitorApiTest extends ApiTestBase {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    BalanceMonitorEvaluator evaluator;

    ApiClient merchant;
    String account;
    String other;

    @BeforeEach
    void accounts() {
        merchant = ApiClient.newMerchant(http);
        account = merchant.openAccount("USD", 0);
        other = merchant.openAccount("USD", 0);
        merchant.deposit(account, 5_000);
    }

    static String monitor(String account, String condition) {
        return "{\"account\":\"" + account + "\",\"condition\":" + condition + "}";
    }

    /** The newest global position this test's writes were answered with. */
    long written;

    String createBelow(long threshold, long hysteresis) {
        return create(account, "{\"field\":\"available\",\"below\":" + threshold + ",\"hysteresis\":" + hysteresis + "}");
    }

    @SuppressWarnings("unchecked")
    String create(String onAccount, String condition) {
        var result = merchant.post("/v1/balance-monitors", monitor(onAccount, condition))
                .expectStatus().isCreated().expectBody(Map.class).returnResult();
        written = Math.max(written, Long.parseLong(result.getResponseHeaders().getFirst("Ledger-Position")));
        return (String) result.getResponseBody().get("id");
    }

    WebTestClient.ResponseSpec delete(ApiClient client, String id) {
        return http.delete().uri("/v1/balance-monitors/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + client.key())
                .exchange();
    }

    /** Moves money out of (negative) or into the account; returns the global position of the posting. */
    long move(long amount) {
        String from = amount < 0 ? account : other;
        String to = amount < 0 ? other : account;
        if (amount > 0) {
            merchant.deposit(other, amount);
        }
        String position = merchant.post("/v1/transfers", "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to
                        + "\",\"amount\":" + Math.abs(amount) + ",\"currency\":\"USD\"}")
                .expectStatus().isCreated().returnResult(String.class).getResponseHeaders().getFirst("Ledger-Position");
        long at = Long.parseLong(position);
        written = Math.max(written, at);
        return at;
    }

    /** The positive signal that the evaluator has judged the account after the event at {@code position}. */
    void awaitEvaluated(long position) {
        await().atMost(WAIT).until(() -> evaluator.foldedThrough(account).block().position() >= position);
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> events(String type) {
        return (List<Map<String, Object>>) merchant.read("/v1/events?limit=100&type=" + type).get("data");
    }

    /**
     * Reads a view once it has caught up with this test's own writes (their {@code Ledger-Position}
     * answers) and with every event the merchant's log shows (the monitors' own triggers).
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> readFresh(String path) {
        long head = ((Number) ((List<Map<String, Object>>) merchant.read("/v1/events?limit=100").get("data")).getLast()
                .get("position")).longValue();
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header("Ledger-Min-Position", Long.toString(Math.max(head, written))).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    @Nested
    class Creating {

        @Test
        void a_monitor_is_created_armed_and_read_back() {
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":1000,\"hysteresis\":200,\"currency\":\"usd\"}"))
                    .expectStatus().isCreated()
                    .expectHeader().exists("Ledger-Position")
                    .expectBody()
                    .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("bm_"))
                    .jsonPath("$.account").isEqualTo(account)
                    .jsonPath("$.currency").isEqualTo("USD")
                    .jsonPath("$.condition.field").isEqualTo("available")
                    .jsonPath("$.condition.below").isEqualTo(1000)
                    .jsonPath("$.condition.hysteresis").isEqualTo(200)
                    .jsonPath("$.state").isEqualTo("armed")
                    .jsonPath("$.trigger_count").isEqualTo(0);
            String id = createBelow(10, 0);
            merchant.get("/v1/balance-monitors/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.id").isEqualTo(id).jsonPath("$.condition.below").isEqualTo(10);
        }

        @Test
        void the_same_idempotency_key_answers_the_first_monitor_again() {
            String body = monitor(account, "{\"above\":9000}");
            String first = merchant.post("/v1/balance-monitors", body, "bm-key-1").expectStatus().isCreated()
                    .expectBody(String.class).returnResult().getResponseBody();
            String again = merchant.post("/v1/balance-monitors", body, "bm-key-1").expectStatus().isCreated()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(again).isEqualTo(first);
            merchant.post("/v1/balance-monitors", monitor(account, "{\"above\":9001}"), "bm-key-1")
                    .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reuse");
        }

        @Test
        void a_missing_or_ambiguous_condition_is_a_400() {
            merchant.post("/v1/balance-monitors", "{\"account\":\"" + account + "\"}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request").jsonPath("$.errors[0].field").isEqualTo("condition");
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":1,\"above\":2}")).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
            merchant.post("/v1/balance-monitors", monitor(account, "{\"field\":\"pending\",\"below\":1}"))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("condition.field");
            merchant.post("/v1/balance-monitors", "{\"condition\":{\"below\":1}}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("account");
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":\"ten\"}")).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
        }

        @Test
        void a_threshold_or_hysteresis_out_of_range_has_its_own_code() {
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":1000000000001}")).expectStatus().isBadRequest()
                    .expectHeader().contentType("application/problem+json")
                    .expectBody().jsonPath("$.code").isEqualTo("threshold_invalid");
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":10,\"hysteresis\":-1}"))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("hysteresis_invalid")
                    .jsonPath("$.errors[0].field").isEqualTo("condition.hysteresis");
        }

        @Test
        void an_unknown_or_another_merchants_account_is_a_404() {
            merchant.post("/v1/balance-monitors", monitor("acc_nonexistent", "{\"below\":1}")).expectStatus().isNotFound()
                    .expectBody().jsonPath("$.code").isEqualTo("not_found");
            ApiClient stranger = ApiClient.newMerchant(http);
            stranger.post("/v1/balance-monitors", monitor(account, "{\"below\":1}")).expectStatus().isNotFound()
                    .expectBody().jsonPath("$.code").isEqualTo("not_found");
        }

        @Test
        void a_currency_other_than_the_accounts_is_a_422() {
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":1,\"currency\":\"EUR\"}"))
                    .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("currency_mismatch");
            merchant.post("/v1/balance-monitors", monitor(account, "{\"below\":1,\"currency\":\"EURO\"}"))
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("currency_invalid");
        }
    }

    @Nested
    class ReadingAndDeleting {

        @Test
        void another_merchants_monitor_and_unknown_ids_are_404() {
            String id = createBelow(100, 0);
            ApiClient stranger = ApiClient.newMerchant(http);
            stranger.get("/v1/balance-monitors/" + id).expectStatus().isNotFound();
            delete(stranger, id).expectStatus().isNotFound();
            merchant.get("/v1/balance-monitors/bm_nonexistent").expectStatus().isNotFound();
            merchant.get("/v1/balance-monitors/nonsense").expectStatus().isNotFound();
        }

        @Test
        void a_monitor_is_deleted_once_and_a_second_delete_is_a_409() {
            String id = createBelow(100, 0);
            delete(merchant, id).expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("deleted");
            delete(merchant, id).expectStatus().isEqualTo(409).expectBody().jsonPath("$.code").isEqualTo("invalid_state");
            merchant.get("/v1/balance-monitors/" + id).expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("deleted");
        }

        @Test
        @SuppressWarnings("unchecked")
        void the_list_pages_newest_first_and_narrows_to_an_account() {
            String first = createBelow(100, 0);
            String second = createBelow(200, 0);
            String elsewhere = create(other, "{\"above\":5}");

            Map<String, Object> page = readFresh("/v1/balance-monitors?limit=2");
            assertThat((List<Map<String, Object>>) page.get("data")).extracting(m -> m.get("id")).containsExactly(elsewhere, second);
            assertThat(page.get("has_more")).isEqualTo(true);
            Map<String, Object> next = readFresh("/v1/balance-monitors?limit=2&starting_after=" + second);
            assertThat((List<Map<String, Object>>) next.get("data")).extracting(m -> m.get("id")).containsExactly(first);
            assertThat(next.get("has_more")).isEqualTo(false);
            Map<String, Object> ofAccount = readFresh("/v1/balance-monitors?account=" + account);
            assertThat((List<Map<String, Object>>) ofAccount.get("data")).extracting(m -> m.get("id")).containsExactly(second, first);
            merchant.get("/v1/balance-monitors?colour=red").expectStatus().isBadRequest();
            merchant.get("/v1/balance-monitors?limit=0").expectStatus().isBadRequest();
        }
    }

    @Nested
    class Firing {

        @Test
        @SuppressWarnings("unchecked")
        void it_fires_once_while_below_rearms_past_the_band_and_fires_again() {
            String id = createBelow(1_000, 200); // available 5,000

            long crossing = move(-4_100); // 900: crosses below 1,000
            await().atMost(WAIT).until(() -> events("balance_monitor.triggered").size() == 1);
            Map<String, Object> fired = events("balance_monitor.triggered").getFirst();
            Map<String, Object> data = (Map<String, Object>) fired.get("data");
            assertThat(data).containsEntry("id", id).containsEntry("account", account).containsEntry("state", "triggered");
            assertThat((Map<String, Object>) data.get("last_trigger")).containsEntry("balance", 900)
                    .containsEntry("threshold", 1000).containsEntry("position", (int) crossing);

            awaitEvaluated(move(-400)); // 500: still below
            awaitEvaluated(move(650)); // 1,150: back over the threshold but inside the band
            assertThat(events("balance_monitor.triggered")).hasSize(1);
            assertThat(events("balance_monitor.rearmed")).isEmpty();
            merchant.get("/v1/balance-monitors/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.state").isEqualTo("triggered").jsonPath("$.trigger_count").isEqualTo(1);

            move(50); // 1,200: past the band
            await().atMost(WAIT).until(() -> events("balance_monitor.rearmed").size() == 1);
            long again = move(-201); // 999
            await().atMost(WAIT).until(() -> events("balance_monitor.triggered").size() == 2);
            merchant.get("/v1/balance-monitors/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.state").isEqualTo("triggered").jsonPath("$.trigger_count").isEqualTo(2)
                    .jsonPath("$.last_trigger.balance").isEqualTo(999)
                    .jsonPath("$.last_trigger.position").isEqualTo(again);
        }

        @Test
        void a_monitor_whose_condition_holds_when_created_fires_at_once() {
            String id = createBelow(10_000, 0); // available 5,000
            await().atMost(WAIT).until(() -> events("balance_monitor.triggered").size() == 1);
            merchant.get("/v1/balance-monitors/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.state").isEqualTo("triggered").jsonPath("$.last_trigger.balance").isEqualTo(5000);
        }

        @Test
        void a_deleted_monitor_does_not_fire() {
            String id = createBelow(1_000, 0);
            delete(merchant, id).expectStatus().isOk();
            String kept = createBelow(800, 0);
            move(-4_500); // 500: below both thresholds
            await().atMost(WAIT).until(() -> events("balance_monitor.triggered").size() == 1);
            assertThat(events("balance_monitor.triggered").getFirst()).extracting(e -> ((Map<?, ?>) e.get("data")).get("id"))
                    .isEqualTo(kept);
        }

        @Test
        @SuppressWarnings("unchecked")
        void the_monitors_view_is_equal_after_a_rebuild() {
            String id = createBelow(1_000, 200);
            move(-4_100);
            await().atMost(WAIT).until(() -> events("balance_monitor.triggered").size() == 1);
            List<Map<String, Object>> before = (List<Map<String, Object>>) readFresh("/v1/balance-monitors?account=" + account).get("data");
            assertThat(before).extracting(m -> m.get("state")).containsExactly("triggered");

            Map<String, Object> started = http.post().uri("/admin/projections/balance_monitors/rebuild")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isAccepted().expectBody(Map.class).returnResult().getResponseBody();
            int generation = ((Number) started.get("generation")).intValue();
            await().atMost(WAIT).untilAsserted(() -> {
                List<Map<String, Object>> readers = (List<Map<String, Object>>) http.get().uri("/admin/projections")
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                        .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody().get("data");
                assertThat(readers).filteredOn(r -> r.get("name").equals("balance_monitors")).singleElement()
                        .satisfies(r -> assertThat(r).containsEntry("generation", generation).containsEntry("rebuild", null));
            });
            List<Map<String, Object>> after = (List<Map<String, Object>>) readFresh("/v1/balance-monitors?account=" + account).get("data");
            assertThat(after).isEqualTo(before);
            assertThat(after.getFirst()).containsEntry("id", id);
        }
    }
}
