package dev.ledgerflow.gateway.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.projections.projector.Projections;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.TestPropertySource;

/** {@code GET /v1/transactions} and {@code GET /v1/payments}: filters, cursor paging, CSV, read-your-writes. */
@TestPropertySource(properties = {"ledger.acquirer-latency=1ms", "ledger.min-position-wait-max=1s"})
class TransactionApiTest extends ApiTestBase {

    @Autowired
    Projections projections;

    ApiClient merchant;
    String usd;
    String usd2;
    String eur;

    @BeforeEach
    void accounts() {
        merchant = ApiClient.newMerchant(http);
        usd = merchant.openAccount("USD", 0);
        usd2 = merchant.openAccount("USD", 0);
        eur = merchant.openAccount("EUR", 0);
    }

    /** Runs a write and waits (Ledger-Min-Position) until the transaction view has it. */
    Map<String, Object> write(String path, String json) {
        var result = merchant.post(path, json).expectStatus().is2xxSuccessful().expectBody(Map.class).returnResult();
        String position = result.getResponseHeaders().getFirst("Ledger-Position");
        list("/v1/transactions?limit=1", position);
        @SuppressWarnings("unchecked")
        Map<String, Object> body = result.getResponseBody();
        return body;
    }

    /**
     * A read with {@code Ledger-Min-Position}, retried after a 503 {@code projection_behind} as a client
     * would (this class waits only 1 s per read, so that the 503 test is quick; a busy machine can
     * take longer to project).
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> list(String path, String minPosition) {
        var answer = new AtomicReference<Map<String, Object>>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            var result = http.get().uri(path)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                    .header("Ledger-Min-Position", minPosition)
                    .exchange()
                    .expectStatus().value(status -> assertThat(status).isIn(200, 503))
                    .expectBody(Map.class).returnResult();
            answer.set(result.getResponseBody());
            return result.getStatus().value() == 200;
        });
        return answer.get();
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> data(String path) {
        return (List<Map<String, Object>>) merchant.read(path).get("data");
    }

    static List<Object> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> r.get("id")).toList();
    }

    @Test
    void a_write_read_with_its_ledger_position_shows_up_at_once_newest_first() {
        String deposit = (String) write("/v1/accounts/" + usd + "/deposits", "{\"amount\":5000}").get("id");
        String transfer = (String) write("/v1/transfers", "{\"from_account\":\"" + usd + "\",\"to_account\":\"" + usd2
                + "\",\"amount\":1200,\"currency\":\"USD\",\"description\":\"rent\"}").get("id");

        List<Map<String, Object>> rows = data("/v1/transactions");
        assertThat(ids(rows)).containsExactly(transfer, deposit);
        Map<String, Object> first = rows.getFirst();
        assertThat(first).containsEntry("type", "transfer").containsEntry("status", "posted").containsEntry("amount", 1200)
                .containsEntry("currency", "USD").containsEntry("account", usd).containsEntry("to_account", usd2)
                .containsEntry("description", "rent");
        assertThat(first.get("position")).isInstanceOf(Number.class);
        assertThat(rows.get(1)).containsEntry("type", "deposit").containsEntry("account", usd).containsEntry("amount", 5000);
    }

    @Nested
    class Filters {

        String deposit;
        String transfer;
        String payment;
        Instant between;

        @BeforeEach
        void some() {
            deposit = (String) write("/v1/accounts/" + eur + "/deposits", "{\"amount\":700}").get("id");
            between = clockPast(Instant.now()); // the deposit was acknowledged before
            clockPast(between);
            write("/v1/accounts/" + usd + "/deposits", "{\"amount\":9000}");
            transfer = (String) write("/v1/transfers", "{\"from_account\":\"" + usd + "\",\"to_account\":\"" + usd2
                    + "\",\"amount\":300,\"currency\":\"USD\"}").get("id");
            payment = (String) write("/v1/payments", "{\"amount\":250,\"currency\":\"USD\",\"capture_method\":\"manual\","
                    + "\"source\":{\"type\":\"account\",\"account\":\"" + usd2 + "\"}}").get("id");
        }

        @Test
        void by_type_status_account_and_creation_time() {
            assertThat(ids(data("/v1/transactions?type=deposit"))).hasSize(2).contains(deposit);
            assertThat(ids(data("/v1/transactions?type=transfer"))).containsExactly(transfer);
            assertThat(ids(data("/v1/transactions?account=" + usd2))).containsExactly(payment, transfer);
            assertThat(ids(data("/v1/transactions?account=" + eur))).containsExactly(deposit);
            assertThat(ids(data("/v1/transactions?created_lt=" + between))).containsExactly(deposit);
            assertThat(ids(data("/v1/transactions?created_gte=" + between + "&type=deposit"))).doesNotContain(deposit).hasSize(1);
            assertThat(ids(data("/v1/transactions?status=posted&type=transfer"))).containsExactly(transfer);
            // The payment processor authorizes the wallet payment; the view follows.
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    ids(data("/v1/transactions?type=payment&status=requires_capture")).equals(List.of(payment)));
            assertThat(data("/v1/transactions?status=processing")).isEmpty();
        }

        @Test
        void payments_list_as_payment_objects() {
            List<Map<String, Object>> payments = data("/v1/payments");
            assertThat(ids(payments)).containsExactly(payment);
            assertThat(payments.getFirst()).containsEntry("amount", 250).containsEntry("capture_method", "manual")
                    .containsKey("source").containsKey("amount_captured");
            assertThat(data("/v1/payments?status=canceled")).isEmpty();
            assertThat(data("/v1/payments?created_lt=" + between)).isEmpty();
        }
    }

    @Test
    void cursor_paging_neither_skips_nor_repeats_while_new_transactions_arrive() {
        merchant.deposit(usd, 100_000);
        for (int i = 0; i < 9; i++) {
            merchant.post("/v1/transfers", "{\"from_account\":\"" + usd + "\",\"to_account\":\"" + usd2 + "\",\"amount\":"
                    + (i + 1) + ",\"currency\":\"USD\"}").expectStatus().isCreated();
        }
        String last = (String) write("/v1/accounts/" + usd2 + "/deposits", "{\"amount\":1}").get("id");
        List<Object> everything = ids(data("/v1/transactions?limit=100"));
        assertThat(everything).hasSize(11).first().isEqualTo(last);

        List<Object> paged = new ArrayList<>();
        Map<String, Object> page = merchant.read("/v1/transactions?limit=4");
        while (true) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rows = (List<Map<String, Object>>) page.get("data");
            paged.addAll(ids(rows));
            // New transactions keep arriving between pages: they sort before the cursor.
            write("/v1/accounts/" + usd + "/deposits", "{\"amount\":2}");
            if (!(Boolean) page.get("has_more")) {
                break;
            }
            page = merchant.read("/v1/transactions?limit=4&starting_after=" + rows.getLast().get("id"));
        }
        assertThat(paged).containsExactlyElementsOf(everything);
    }

    @Test
    void csv_streams_the_whole_filtered_set_with_a_header() {
        write("/v1/accounts/" + usd + "/deposits", "{\"amount\":100}");
        write("/v1/transfers", "{\"from_account\":\"" + usd + "\",\"to_account\":\"" + usd2
                + "\",\"amount\":40,\"currency\":\"USD\",\"description\":\"a \\\"quoted\\\", text\"}");
        String csv = http.get().uri("/v1/transactions?type=transfer")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header(HttpHeaders.ACCEPT, "text/csv")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith("text/csv")
                .expectHeader().valueMatches(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"transactions.csv\"")
                .expectBody(String.class).returnResult().getResponseBody();
        String[] lines = csv.split("\r\n");
        assertThat(lines[0]).isEqualTo("id,type,status,amount,currency,account,to_account,payment,description,created_at,updated_at,position");
        assertThat(lines).hasSize(2);
        assertThat(lines[1]).contains(",transfer,posted,40,USD," + usd + "," + usd2 + ",,\"a \"\"quoted\"\", text\",");
    }

    @Test
    void tenancy_another_merchant_sees_none_of_it() {
        write("/v1/accounts/" + usd + "/deposits", "{\"amount\":100}");
        ApiClient other = ApiClient.newMerchant(http);
        assertThat((List<?>) other.read("/v1/transactions").get("data")).isEmpty();
        assertThat((List<?>) other.read("/v1/transactions?account=" + usd).get("data")).isEmpty();
        String mine = (String) ids(data("/v1/transactions")).getFirst();
        other.get("/v1/transactions?starting_after=" + mine).expectStatus().isBadRequest();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "type=charge                        | type",
        "status=done                        | status",
        "limit=0                            | limit",
        "limit=101                          | limit",
        "limit=ten                          | limit",
        "created_gte=yesterday              | created_gte",
        "created_lt=2025-13-01T00:00:00Z    | created_lt",
        "starting_after=tr_unknown          | starting_after",
        "created_after=2025-01-01T00:00:00Z | created_after",
        "type=payment&type=refund           | type",
    })
    void bad_parameters_are_400_naming_the_parameter(String query, String field) {
        merchant.get("/v1/transactions?" + query).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("invalid_request").jsonPath("$.errors[0].field").isEqualTo(field);
    }

    @Test
    void a_read_that_asks_for_a_position_the_projection_does_not_reach_in_time_is_503_with_retry_after() {
        var runner = projections.runner("transactions").orElseThrow();
        runner.stop();
        try {
            String position = merchant.post("/v1/accounts/" + usd + "/deposits", "{\"amount\":5}").expectStatus().isCreated()
                    .returnResult(String.class).getResponseHeaders().getFirst("Ledger-Position");
            http.get().uri("/v1/transactions")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                    .header("Ledger-Min-Position", position)
                    .exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1")
                    .expectBody().jsonPath("$.code").isEqualTo("projection_behind");
        } finally {
            runner.start();
        }
        http.get().uri("/v1/transactions").header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header("Ledger-Min-Position", "not-a-number").exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("Ledger-Min-Position");
    }
}
