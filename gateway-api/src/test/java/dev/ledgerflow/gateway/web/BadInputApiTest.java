package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;

/**
 * The black-box findings of issue 12, each answered at the edge with a 4xx problem that changes
 * nothing: texts the database cannot store, malformed ids on write paths, a doubled Authorization
 * header, numeric webhook hosts that parsers read differently, and a JSON {@code null} body. Private
 * webhook destinations are allowed here, so a numeric host is refused for its form alone.
 */
@TestPropertySource(properties = "ledger.webhooks.allow-private-destinations=true")
class BadInputApiTest extends ApiTestBase {

    @Autowired
    ConnectionPool pool;

    ApiClient merchant;
    String account;
    String otherAccount;

    @BeforeEach
    void merchantWithAccounts() {
        merchant = ApiClient.newMerchant(http);
        account = merchant.openAccount("USD", 0);
        otherAccount = merchant.openAccount("USD", 0);
        merchant.deposit(account, 10_000);
    }

    @Nested
    class TextsTheDatabaseCannotStore {

        @ParameterizedTest(name = "{0} {1}")
        @CsvSource(delimiter = '|', textBlock = """
            /v1/payments          | {"amount":100,"currency":"USD","description":"a\\u0000b","source":{"type":"upi","vpa":"success@upi"}}  | description
            /v1/payments          | {"amount":100,"currency":"USD","metadata":{"k":"v\\u0000"},"source":{"type":"upi","vpa":"success@upi"}} | metadata.k
            /v1/payments          | {"amount":100,"currency":"USD","metadata":{"k\\u0000":"v"},"source":{"type":"upi","vpa":"success@upi"}} | metadata
            /v1/payments          | {"amount":100,"currency":"USD","description":"\\ud800","source":{"type":"upi","vpa":"success@upi"}}     | description
            /v1/payments          | {"amount":100,"currency":"USD","source":{"type":"upi","vpa":"success@upi\\u0000"}}                       | source.vpa
            /v1/accounts          | {"currency":"USD","metadata":{"owner":"\\u0000"}}                                                      | metadata.owner
            /v1/transfers         | {"from_account":"ACCOUNT","to_account":"OTHER","amount":1,"currency":"USD","description":"x\\u0000"}  | description
            /v1/transfers         | {"from_account":"ACCOUNT\\u0000","to_account":"OTHER","amount":1,"currency":"USD"}                    | from_account
            /v1/webhook-endpoints | {"url":"http://127.0.0.1:9/hook","events":["*"],"description":"\\u0000"}                           | description
            /v1/webhook-endpoints | {"url":"http://127.0.0.1:9/hook","events":["\\u0000"]}                                             | events[0]
            /v1/stream-tokens     | {"payment":"pay_\\u0000"}                                                                          | payment
            """)
        void a_nul_or_half_a_surrogate_pair_in_any_field_is_refused_naming_the_field(String path, String body, String field) {
            long events = eventCount();
            String json = body.replace("ACCOUNT", account).replace("OTHER", otherAccount);

            Map<String, Object> problem = problem(merchant.post(path, json), 400);

            assertThat(problem.get("code")).isEqualTo("text_invalid");
            assertThat(problem.get("errors")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                    .singleElement().satisfies(error -> assertThat(((Map<?, ?>) error).get("field")).isEqualTo(field));
            assertThat(eventCount()).isEqualTo(events);
        }

        @Test
        void a_merchant_name_with_a_nul_is_refused_and_no_merchant_is_made() {
            long merchants = count("select count(*) as n from merchants");

            Map<String, Object> problem = problem(http.post().uri("/v1/merchants")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"Acme\\u0000\"}").exchange(), 400);

            assertThat(problem.get("code")).isEqualTo("text_invalid");
            assertThat(count("select count(*) as n from merchants")).isEqualTo(merchants);
        }

        @Test
        void a_nul_in_the_path_is_no_such_resource_and_in_a_query_parameter_a_bad_request() {
            problem(merchant.get("/v1/payments/pay_%00"), 404);
            problem(merchant.post("/v1/payments/pay_%00/cancel", ""), 404);
            Map<String, Object> problem = problem(merchant.get("/v1/transactions?type=%00"), 400);
            assertThat(problem.get("code")).isEqualTo("invalid_request");
        }

        @Test
        void one_refused_text_does_not_stop_the_next_request_of_the_same_client() {
            problem(merchant.post("/v1/payments", "{\"amount\":100,\"currency\":\"USD\",\"description\":\"\\u0000\","
                    + "\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}"), 400);

            merchant.post("/v1/payments", "{\"amount\":100,\"currency\":\"USD\",\"description\":\"fine\","
                    + "\"source\":{\"type\":\"upi\",\"vpa\":\"success@upi\"}}").expectStatus().isAccepted();
        }
    }

    @Nested
    class MalformedIds {

        @ParameterizedTest(name = "{0} {1}")
        @CsvSource({
            "POST,   /v1/payments/x/cancel",
            "POST,   /v1/payments/x/capture",
            "POST,   /v1/payments/x/refunds",
            "POST,   /v1/payments/pay_/cancel",
            "POST,   /v1/payments/pay_a-b/capture",
            "POST,   /v1/payments/pay_LONG/refunds",
            "GET,    /v1/payments/pay_LONG",
            "GET,    /v1/payments/pay_LONG/events",
            "POST,   /v1/accounts/x/deposits",
            "POST,   /v1/accounts/acc_LONG/deposits",
            "GET,    /v1/accounts/acc_LONG",
            "GET,    /v1/transfers/tr_LONG",
            "PATCH,  /v1/webhook-endpoints/x",
            "DELETE, /v1/webhook-endpoints/x",
            "POST,   /v1/webhook-endpoints/x/rotate-secret",
            "POST,   /v1/webhook-endpoints/x/replay",
            "POST,   /v1/webhook-deliveries/x/retry",
            "GET,    /v1/webhook-deliveries/x",
        })
        void a_write_or_read_of_a_malformed_id_is_no_such_resource(String method, String path) {
            long events = eventCount();
            String uri = path.replace("LONG", "a".repeat(300));
            String body = method.equals("DELETE") ? null : path.endsWith("replay") ? "{\"after_position\":0}" : "{}";

            Map<String, Object> problem = problem(request(HttpMethod.valueOf(method), uri, body, merchant.key()), 404);

            assertThat(problem.get("code")).isEqualTo("not_found");
            assertThat(eventCount()).isEqualTo(events);
        }

        @Test
        void an_account_id_of_the_wrong_form_in_a_body_is_no_such_account() {
            Map<String, Object> problem = problem(merchant.post("/v1/transfers", "{\"from_account\":\"acc_" + "a".repeat(300)
                    + "\",\"to_account\":\"" + otherAccount + "\",\"amount\":1,\"currency\":\"USD\"}"), 404);
            assertThat(problem.get("code")).isEqualTo("not_found");
            problem = problem(merchant.post("/v1/stream-tokens", "{\"payment\":\"pay_" + "a".repeat(300) + "\"}"), 404);
            assertThat(problem.get("code")).isEqualTo("not_found");
        }
    }

    @Test
    void two_authorization_headers_are_refused_even_when_both_hold_the_same_valid_key() {
        long events = eventCount();
        for (String second : new String[] {merchant.key(), "sk_another"}) {
            Map<String, Object> problem = problem(http.post().uri("/v1/accounts")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key(), "Bearer " + second)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"currency\":\"USD\"}").exchange(), 400);
            assertThat(problem.get("code")).isEqualTo("invalid_request");
            assertThat(problem.get("detail").toString()).contains("Authorization");
        }
        assertThat(eventCount()).isEqualTo(events);
    }

    @Test
    void two_idempotency_keys_are_refused() {
        problem(merchant.post("/v1/accounts", "{\"currency\":\"USD\"}", headers -> headers.addAll("Idempotency-Key",
                java.util.List.of("a", "b"))), 400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://0177.0.0.1/hook", "http://0x7f.1/hook", "http://2130706433/hook", "http://127.1/hook",
            "http://0x7f000001/hook", "http://017700000001/hook", "http://1.2.3.04/hook", "http://10.0.0.256/hook"})
    void a_webhook_url_with_a_numeric_host_in_another_form_than_a_b_c_d_is_refused(String url) {
        long endpoints = count("select count(*) as n from webhook_endpoints");

        Map<String, Object> problem = problem(merchant.post("/v1/webhook-endpoints", "{\"url\":\"" + url + "\",\"events\":[\"*\"]}"), 400);

        assertThat(problem.get("code")).isEqualTo("url_invalid");
        assertThat(count("select count(*) as n from webhook_endpoints")).isEqualTo(endpoints);
    }

    @Test
    void a_webhook_url_update_to_a_numeric_host_in_another_form_is_refused() {
        @SuppressWarnings("unchecked")
        String id = (String) merchant.created("/v1/webhook-endpoints", "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"*\"]}").get("id");

        Map<String, Object> problem = problem(request(HttpMethod.PATCH, "/v1/webhook-endpoints/" + id,
                "{\"url\":\"http://0177.0.0.1/\"}", merchant.key()), 400);

        assertThat(problem.get("code")).isEqualTo("url_invalid");
        assertThat(merchant.read("/v1/webhook-endpoints/" + id).get("url")).isEqualTo("http://127.0.0.1:9/hook");
    }

    @Nested
    class NullBodies {

        @ParameterizedTest
        @ValueSource(strings = {"capture", "refunds"})
        void a_json_null_body_is_malformed_not_everything(String action) {
            String payment = capturedLater();
            long events = eventCount();

            Map<String, Object> problem = problem(merchant.post("/v1/payments/" + payment + "/" + action, "null"), 400);

            assertThat(problem.get("code")).isEqualTo("invalid_request");
            assertThat(eventCount()).isEqualTo(events);
        }

        @Test
        void an_empty_body_still_captures_everything() {
            String payment = capturedLater();

            http.post().uri("/v1/payments/" + payment + "/capture").header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                    .exchange().expectStatus().isOk().expectBody().jsonPath("$.amount_captured").isEqualTo(700);
        }

        /** A wallet payment with manual capture, authorized (held) and waiting for its capture. */
        private String capturedLater() {
            String id = (String) merchant.created("/v1/payments", "{\"amount\":700,\"currency\":\"USD\",\"capture_method\":\"manual\","
                    + "\"source\":{\"type\":\"account\",\"account\":\"" + account + "\"}}").get("id");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> "requires_capture".equals(merchant.read("/v1/payments/" + id).get("status")));
            return id;
        }
    }

    private WebTestClient.ResponseSpec request(HttpMethod method, String uri, String body, String key) {
        var spec = http.method(method).uri(uri).header(HttpHeaders.AUTHORIZATION, "Bearer " + key);
        if (body == null) {
            return spec.exchange();
        }
        return spec.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> problem(WebTestClient.ResponseSpec response, int status) {
        return response.expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(Map.class).returnResult().getResponseBody();
    }

    long eventCount() {
        return count("select count(*) as n from events");
    }

    long count(String sql) {
        return Mono.usingWhen(pool.create(),
                        c -> Mono.from(c.createStatement(sql).execute()).flatMap(r -> Mono.from(r.map(row -> row.get("n", Long.class)))),
                        Connection::close)
                .block(Duration.ofSeconds(10));
    }
}
