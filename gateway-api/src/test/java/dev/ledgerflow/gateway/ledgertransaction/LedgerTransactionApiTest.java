package dev.ledgerflow.gateway.ledgertransaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code POST /v1/ledger-transactions}: 2 to 64 legs, all or nothing, over HTTP. */
class LedgerTransactionApiTest extends ApiTestBase {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    AccountBalances balances;

    @LocalServerPort
    int port;

    ApiClient merchant;
    String a;
    String b;
    String c;
    String empty;

    @BeforeEach
    void accounts() {
        merchant = ApiClient.newMerchant(http);
        a = merchant.openAccount("USD", 100);
        b = merchant.openAccount("USD", 0);
        c = merchant.openAccount("USD", 0);
        empty = merchant.openAccount("USD", 0);
        merchant.deposit(a, 1_000);
    }

    static String leg(String from, String to, long amount) {
        return "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to + "\",\"amount\":" + amount + "}";
    }

    static String leg(String from, String to, long amount, String currency) {
        return "{\"from_account\":\"" + from + "\",\"to_account\":\"" + to + "\",\"amount\":" + amount
                + ",\"currency\":\"" + currency + "\"}";
    }

    static String transaction(String... legs) {
        return "{\"postings\":[" + String.join(",", legs) + "],\"description\":\"split\",\"metadata\":{\"order\":\"42\"}}";
    }

    @Test
    void a_three_leg_transaction_moves_every_leg_at_once() {
        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 600), leg(b, c, 200), leg(a, c, 50, "usd")))
                .expectStatus().isCreated()
                .expectHeader().exists("Ledger-Position")
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("ltx_"))
                .jsonPath("$.status").isEqualTo("posted")
                .jsonPath("$.amount").isEqualTo(850)
                .jsonPath("$.currency").isEqualTo("USD")
                .jsonPath("$.postings.length()").isEqualTo(3)
                .jsonPath("$.postings[1].from_account").isEqualTo(b)
                .jsonPath("$.postings[1].to_account").isEqualTo(c)
                .jsonPath("$.postings[1].amount").isEqualTo(200)
                .jsonPath("$.postings[1].currency").isEqualTo("USD")
                .jsonPath("$.description").isEqualTo("split")
                .jsonPath("$.metadata.order").isEqualTo("42");

        assertThat(merchant.available(a)).isEqualTo(1_100 - 650);
        assertThat(merchant.available(b)).isEqualTo(400);
        assertThat(merchant.available(c)).isEqualTo(250);
    }

    @Test
    void legs_in_two_currencies_each_balance_on_their_own() {
        String euros = merchant.openAccount("EUR", 0);
        String moreEuros = merchant.openAccount("EUR", 0);
        merchant.deposit(euros, 500);

        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 100), leg(euros, moreEuros, 300)))
                .expectStatus().isCreated()
                .expectBody().jsonPath("$.postings[1].currency").isEqualTo("EUR");

        assertThat(merchant.available(moreEuros)).isEqualTo(300);
        assertThat(balances.sumsPerCurrency().collectList().block())
                .allSatisfy(sum -> assertThat(sum.postedMinor()).as(sum.currency()).isZero());
    }

    @Test
    void the_net_change_of_an_account_is_what_is_checked_so_money_can_pass_through_an_empty_account() {
        merchant.post("/v1/ledger-transactions", transaction(leg(empty, c, 300), leg(a, empty, 300)))
                .expectStatus().isCreated();

        assertThat(merchant.available(empty)).isZero();
        assertThat(merchant.available(c)).isEqualTo(300);
    }

    @Test
    void one_leg_short_of_funds_rejects_the_whole_transaction_naming_that_leg() {
        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 100), leg(b, c, 50), leg(empty, c, 1)))
                .expectStatus().isEqualTo(422)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.code").isEqualTo("insufficient_funds")
                .jsonPath("$.errors[0].leg").isEqualTo(2)
                .jsonPath("$.errors[0].code").isEqualTo("insufficient_funds")
                .jsonPath("$.errors[0].field").isEqualTo("postings[2].from_account")
                .jsonPath("$.errors[0].detail").exists();

        assertThat(merchant.available(a)).isEqualTo(1_100);
        assertThat(merchant.available(b)).isZero();
        assertThat(merchant.available(c)).isZero();
    }

    @Test
    void an_account_may_use_its_overdraft_limit_but_never_go_below_it() {
        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1_000), leg(a, c, 101)))
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.errors[0].leg").isEqualTo(0);
        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1_000), leg(a, c, 100)))
                .expectStatus().isCreated();

        assertThat(merchant.available(a)).isZero();
    }

    @Nested
    class Bad_requests_change_nothing {

        @Test
        void fewer_than_two_or_more_than_64_postings() {
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1)))
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request")
                    .jsonPath("$.errors[0].field").isEqualTo("postings");
            String[] many = IntStream.range(0, 65).mapToObj(i -> leg(a, b, 1)).toArray(String[]::new);
            merchant.post("/v1/ledger-transactions", transaction(many)).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("postings");
            merchant.post("/v1/ledger-transactions", "{\"description\":\"x\"}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("postings");
        }

        @Test
        void sixty_four_postings_are_accepted() {
            String[] many = IntStream.range(0, 64).mapToObj(i -> leg(a, b, 1)).toArray(String[]::new);
            merchant.post("/v1/ledger-transactions", transaction(many)).expectStatus().isCreated();
            assertThat(merchant.available(b)).isEqualTo(64);
        }

        @Test
        void field_problems_name_their_leg() {
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1), leg(a, c, 0)))
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("amount_invalid")
                    .jsonPath("$.errors[0].leg").isEqualTo(1)
                    .jsonPath("$.errors[0].field").isEqualTo("postings[1].amount");
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1), "{\"from_account\":\"" + a + "\",\"amount\":1}"))
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request")
                    .jsonPath("$.errors[0].field").isEqualTo("postings[1].to_account");
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1, "usd"), leg(a, c, 1, "XYZ")))
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("currency_invalid")
                    .jsonPath("$.errors[0].leg").isEqualTo(1);
            merchant.post("/v1/ledger-transactions", "{\"postings\":[" + leg(a, b, 1) + "," + leg(a, b, 1) + "],\"pending\":7}")
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
            merchant.post("/v1/ledger-transactions", "{\"postings\":[" + leg(a, b, 1) + ",\"x\"]}")
                    .expectStatus().isBadRequest();
            assertThat(merchant.available(a)).isEqualTo(1_100);
        }

        @Test
        void business_rejections_name_their_leg() {
            String euros = merchant.openAccount("EUR", 0);
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1), leg(c, c, 1)))
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("same_account").jsonPath("$.errors[0].leg").isEqualTo(1);
            merchant.post("/v1/ledger-transactions", transaction(leg(a, euros, 1), leg(a, b, 1)))
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("currency_mismatch").jsonPath("$.errors[0].leg").isEqualTo(0);
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1), leg(a, c, 1, "EUR")))
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("currency_mismatch").jsonPath("$.errors[0].leg").isEqualTo(1);
            assertThat(merchant.available(a)).isEqualTo(1_100);
        }

        @Test
        void unknown_and_other_merchants_accounts_are_not_found_at_their_leg() {
            ApiClient other = ApiClient.newMerchant(http);
            String theirs = other.openAccount("USD", 0);
            merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 1), leg(a, theirs, 1)))
                    .expectStatus().isNotFound()
                    .expectBody().jsonPath("$.code").isEqualTo("not_found")
                    .jsonPath("$.errors[0].leg").isEqualTo(1)
                    .jsonPath("$.errors[0].field").isEqualTo("postings[1].to_account");
            merchant.post("/v1/ledger-transactions", transaction(leg("acc_nope", b, 1), leg(a, b, 1)))
                    .expectStatus().isNotFound()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("postings[0].from_account");
            assertThat(merchant.available(a)).isEqualTo(1_100);
            assertThat(other.available(theirs)).isZero();
        }
    }

    @Test
    void an_idempotency_key_answers_the_same_transaction_again_and_refuses_another_body() {
        String body = transaction(leg(a, b, 100), leg(a, c, 100));
        var first = merchant.post("/v1/ledger-transactions", body, "ltx-1").expectStatus().isCreated()
                .expectBody(String.class).returnResult();
        var again = merchant.post("/v1/ledger-transactions", body, "ltx-1").expectStatus().isCreated()
                .expectBody(String.class).returnResult();

        assertThat(again.getResponseBody()).isEqualTo(first.getResponseBody());
        assertThat(again.getResponseHeaders().getFirst("Ledger-Position"))
                .isEqualTo(first.getResponseHeaders().getFirst("Ledger-Position"));
        assertThat(merchant.available(a)).isEqualTo(900);
        merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 100), leg(a, c, 101)), "ltx-1")
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reuse");
    }

    @Test
    @SuppressWarnings("unchecked")
    void a_transaction_is_read_back_listed_with_transactions_in_the_account_entries_and_the_event_feed() {
        var result = merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 300), leg(b, c, 100), leg(a, c, 10)))
                .expectStatus().isCreated().expectBody(Map.class).returnResult();
        String id = (String) result.getResponseBody().get("id");
        String position = result.getResponseHeaders().getFirst("Ledger-Position");

        assertThat(merchant.read("/v1/ledger-transactions/" + id)).isEqualTo(result.getResponseBody());
        ApiClient.newMerchant(http).get("/v1/ledger-transactions/" + id).expectStatus().isNotFound();
        merchant.get("/v1/ledger-transactions/ltx_nope").expectStatus().isNotFound();
        merchant.get("/v1/ledger-transactions/tr_nope").expectStatus().isNotFound();

        List<Map<String, Object>> listed = (List<Map<String, Object>>) readAt(
                "/v1/transactions?type=ledger_transaction", position).get("data");
        assertThat(listed).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("id", id).containsEntry("type", "ledger_transaction").containsEntry("status", "posted")
                .containsEntry("amount", 410).containsEntry("currency", "USD"));

        List<Map<String, Object>> entries = (List<Map<String, Object>>) readAt("/v1/accounts/" + b + "/entries", position)
                .get("data");
        assertThat(entries).hasSize(2).allSatisfy(entry -> assertThat(entry)
                .containsEntry("type", "ledger_transaction.posted").containsEntry("object", id));
        assertThat(entries).extracting(entry -> entry.get("posted_change")).containsExactlyInAnyOrder(300, -100);

        List<Map<String, Object>> events = (List<Map<String, Object>>) merchant
                .read("/v1/events?type=ledger_transaction.posted").get("data");
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event).containsEntry("type", "ledger_transaction.posted");
            assertThat((Map<String, Object>) event.get("data")).containsEntry("id", id);
        });
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> readAt(String path, String minPosition) {
        var answer = new AtomicReference<Map<String, Object>>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            var result = http.get().uri(path)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                    .header("Ledger-Min-Position", minPosition)
                    .exchange()
                    .expectBody(Map.class).returnResult();
            answer.set(result.getResponseBody());
            return result.getStatus().value() == 200;
        });
        return answer.get();
    }

    /** A transaction as sent in the concurrency test, and the answer it got. */
    record Sent(List<long[]> legs, int status, String body) {}

    @Test
    void two_hundred_concurrent_multi_leg_transactions_over_ten_accounts_are_each_all_or_nothing_and_never_overdraw() {
        // Ten accounts, 500 each plus an overdraft limit of 0 to 180: far less than 200 transactions want.
        List<String> accounts = new ArrayList<>();
        Map<String, Long> limits = new HashMap<>();
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            long limit = 20L * i;
            String account = merchant.openAccount("USD", limit);
            merchant.deposit(account, 500);
            accounts.add(account);
            limits.put(account, limit);
            expected.put(account, 500L);
        }
        Random random = new Random(15);
        List<List<long[]>> planned = new ArrayList<>();
        for (int n = 0; n < 200; n++) {
            List<long[]> legs = new ArrayList<>();
            int count = 2 + random.nextInt(4);
            for (int l = 0; l < count; l++) {
                int from = random.nextInt(10);
                int to = (from + 1 + random.nextInt(9)) % 10;
                legs.add(new long[] {from, to, 10 + random.nextInt(150)});
            }
            planned.add(legs);
        }
        WebClient client = WebClient.create("http://localhost:" + port);
        List<Sent> sent = Flux.fromIterable(planned)
                .flatMap(legs -> client.post().uri("/v1/ledger-transactions")
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(transaction(legs.stream().map(l -> leg(accounts.get((int) l[0]), accounts.get((int) l[1]), l[2]))
                                .toArray(String[]::new)))
                        .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                                .map(body -> new Sent(legs, response.statusCode().value(), body))), 200)
                .collectList()
                .block(Duration.ofMinutes(2));

        assertThat(sent).hasSize(200).allSatisfy(s -> assertThat(s.status()).as(s.body()).isIn(201, 422));
        List<Sent> posted = sent.stream().filter(s -> s.status() == 201).toList();
        assertThat(posted).as("some fit, some do not").isNotEmpty().hasSizeLessThan(200);
        for (Sent s : sent.stream().filter(s -> s.status() == 422).toList()) {
            JsonNode problem = JSON.readTree(s.body());
            assertThat(problem.get("code").asString()).isEqualTo("insufficient_funds");
            int leg = problem.get("errors").get(0).get("leg").asInt();
            assertThat(leg).isBetween(0, s.legs().size() - 1);
        }
        // Every accepted transaction applied all its legs, every rejected one none: the balances are
        // exactly the deposits plus the legs of the accepted ones.
        for (Sent s : posted) {
            for (long[] l : s.legs()) {
                expected.merge(accounts.get((int) l[0]), -l[2], Long::sum);
                expected.merge(accounts.get((int) l[1]), l[2], Long::sum);
            }
        }
        Map<String, Long> actual = balances.findAll(accounts).collectMap(AccountBalances.BalanceRow::accountId,
                AccountBalances.BalanceRow::postedMinor).block();
        assertThat(actual).isEqualTo(expected);
        assertThat(accounts).allSatisfy(account -> assertThat(actual.get(account))
                .as(account).isGreaterThanOrEqualTo(-limits.get(account)));
        assertThat(balances.sumsPerCurrency().collectList().block())
                .allSatisfy(sum -> assertThat(sum.postedMinor()).as(sum.currency()).isZero());
        // The log holds exactly one event per accepted transaction, with all its legs.
        List<Map<String, Object>> events = new ArrayList<>();
        long after = 0;
        while (true) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> page = (List<Map<String, Object>>) merchant
                    .read("/v1/events?type=ledger_transaction.posted&limit=100&after=" + after).get("data");
            if (page.isEmpty()) {
                break;
            }
            events.addAll(page);
            after = ((Number) page.getLast().get("position")).longValue();
        }
        Map<Object, Integer> legsById = posted.stream().collect(Collectors.toMap(
                s -> JSON.readTree(s.body()).get("id").asString(), s -> s.legs().size()));
        @SuppressWarnings("unchecked")
        Map<Object, Integer> loggedLegs = events.stream().collect(Collectors.toMap(
                e -> ((Map<String, Object>) e.get("data")).get("id"),
                e -> ((List<?>) ((Map<String, Object>) e.get("data")).get("postings")).size()));
        assertThat(loggedLegs).isEqualTo(legsById);
        // The read models agree with a replay of the log (transaction view, account entries, balances).
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(http.get().uri("/admin/invariants")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody()).containsEntry("ok", true));
    }

    @SuppressWarnings("unchecked")
    static long posted(ApiClient client, String account) {
        return ((Number) ((Map<String, Object>) client.read("/v1/accounts/" + account).get("balance")).get("posted")).longValue();
    }

    String createPending(String extra, String... legs) {
        return (String) merchant.post("/v1/ledger-transactions", "{\"postings\":[" + String.join(",", legs) + "],\"pending\":{"
                + extra + "}}").expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
    }

    @Nested
    class Pending_transactions {

        @Test
        void a_pending_transaction_holds_the_money_then_posts_in_full() {
            String id = createPending("", leg(a, b, 600), leg(a, c, 200));
            merchant.get("/v1/ledger-transactions/" + id).expectStatus().isOk().expectBody()
                    .jsonPath("$.status").isEqualTo("pending")
                    .jsonPath("$.expires_at").doesNotExist()
                    .jsonPath("$.postings[0].amount_posted").isEqualTo(0);
            assertThat(merchant.available(a)).isEqualTo(1_100 - 800);
            assertThat(posted(merchant, a)).isEqualTo(1_000);
            assertThat(merchant.available(b)).isZero();

            merchant.post("/v1/ledger-transactions/" + id + "/post", "{}").expectStatus().isOk().expectBody()
                    .jsonPath("$.status").isEqualTo("posted")
                    .jsonPath("$.postings[1].amount_posted").isEqualTo(200);

            assertThat(merchant.available(a)).isEqualTo(300);
            assertThat(posted(merchant, a)).isEqualTo(200);
            assertThat(merchant.available(b)).isEqualTo(600);
            assertThat(merchant.available(c)).isEqualTo(200);
            merchant.post("/v1/ledger-transactions/" + id + "/void", "{}").expectStatus().isEqualTo(409)
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_state");
        }

        @Test
        void a_partial_post_moves_that_much_legs_in_order_and_releases_the_rest() {
            String id = createPending("\"timeout_seconds\":3600", leg(a, b, 600), leg(a, c, 200));

            merchant.post("/v1/ledger-transactions/" + id + "/post", "{\"amount\":700}").expectStatus().isOk().expectBody()
                    .jsonPath("$.postings[0].amount_posted").isEqualTo(600)
                    .jsonPath("$.postings[1].amount_posted").isEqualTo(100);

            assertThat(merchant.available(a)).isEqualTo(1_100 - 700);
            assertThat(merchant.available(c)).isEqualTo(100);
        }

        @Test
        void post_errors() {
            String id = createPending("", leg(a, b, 600), leg(a, c, 200));
            merchant.post("/v1/ledger-transactions/" + id + "/post", "{\"amount\":801}").expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("post_exceeds_pending");
            merchant.post("/v1/ledger-transactions/" + id + "/post", "{\"amount\":0}").expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
            merchant.post("/v1/ledger-transactions/ltx_nope/post", "{}").expectStatus().isNotFound();
            ApiClient.newMerchant(http).post("/v1/ledger-transactions/" + id + "/post", "{}").expectStatus().isNotFound();
            assertThat(merchant.available(a)).isEqualTo(300);
        }

        @Test
        @SuppressWarnings("unchecked")
        void a_pending_transaction_whose_timeout_passes_voids_itself_at_the_recorded_time() {
            var created = merchant.post("/v1/ledger-transactions", "{\"postings\":[" + leg(a, b, 600) + "," + leg(a, c, 200)
                    + "],\"pending\":{\"timeout_seconds\":1}}").expectStatus().isCreated().expectBody(Map.class)
                    .returnResult().getResponseBody();
            String id = (String) created.get("id");
            assertThat(Instant.parse((String) created.get("expires_at")))
                    .isEqualTo(Instant.parse((String) created.get("created_at")).plusSeconds(1));
            assertThat(merchant.available(a)).isEqualTo(300);

            await().atMost(Duration.ofSeconds(30)).until(() -> "expired".equals(merchant.read("/v1/ledger-transactions/" + id)
                    .get("status")));

            Map<String, Object> expired = merchant.read("/v1/ledger-transactions/" + id);
            assertThat(expired.get("updated_at")).isEqualTo(created.get("expires_at"));
            assertThat(merchant.available(a)).isEqualTo(1_100);
            assertThat(merchant.available(b)).isZero();
            List<Map<String, Object>> events = (List<Map<String, Object>>) merchant
                    .read("/v1/events?type=ledger_transaction.expired").get("data");
            assertThat(events).singleElement().satisfies(event ->
                    assertThat((Map<String, Object>) event.get("data")).containsEntry("id", id).containsEntry("status", "expired"));
            merchant.post("/v1/ledger-transactions/" + id + "/post", "{}").expectStatus().isEqualTo(409);
        }

        @Test
        void a_void_releases_every_hold() {
            String id = createPending("\"timeout_seconds\":3600", leg(a, b, 600), leg(a, c, 200));

            merchant.post("/v1/ledger-transactions/" + id + "/void", "{}").expectStatus().isOk().expectBody()
                    .jsonPath("$.status").isEqualTo("voided");

            assertThat(merchant.available(a)).isEqualTo(1_100);
            assertThat(merchant.available(b)).isZero();
            merchant.post("/v1/ledger-transactions/" + id + "/post", "{}").expectStatus().isEqualTo(409);
        }

        @Test
        void holds_beyond_the_available_balance_are_refused_at_their_leg() {
            merchant.post("/v1/ledger-transactions", "{\"postings\":[" + leg(a, b, 600) + "," + leg(b, c, 1)
                            + "],\"pending\":{}}")
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("insufficient_funds").jsonPath("$.errors[0].leg").isEqualTo(1);
            merchant.post("/v1/ledger-transactions", "{\"postings\":[" + leg(a, b, 600) + "," + leg(a, c, 1)
                            + "],\"pending\":{\"timeout_seconds\":0}}")
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.errors[0].field").isEqualTo("pending.timeout_seconds");
            assertThat(merchant.available(a)).isEqualTo(1_100);
        }
    }

    @Nested
    class Reversals {

        @Test
        void a_reversal_moves_every_leg_back_once() {
            String id = (String) merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 600), leg(b, c, 100)))
                    .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");

            merchant.post("/v1/ledger-transactions/" + id + "/reverse", "{}").expectStatus().isOk().expectBody()
                    .jsonPath("$.id").isEqualTo(id)
                    .jsonPath("$.status").isEqualTo("reversed");

            assertThat(merchant.available(a)).isEqualTo(1_100);
            assertThat(merchant.available(b)).isZero();
            assertThat(merchant.available(c)).isZero();
            merchant.post("/v1/ledger-transactions/" + id + "/reverse", "{}").expectStatus().isEqualTo(409)
                    .expectBody().jsonPath("$.code").isEqualTo("invalid_state");
            assertThat(merchant.available(a)).isEqualTo(1_100);
        }

        @Test
        void a_reversal_is_refused_when_a_credited_account_spent_the_money_and_a_pending_one_cannot_be_reversed() {
            String id = (String) merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 600), leg(a, c, 100)))
                    .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
            merchant.post("/v1/transfers", "{\"from_account\":\"" + b + "\",\"to_account\":\"" + empty
                    + "\",\"amount\":500,\"currency\":\"USD\"}").expectStatus().isCreated();

            merchant.post("/v1/ledger-transactions/" + id + "/reverse", "{}").expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("insufficient_funds");
            assertThat(merchant.available(b)).isEqualTo(100);

            String pending = createPending("", leg(a, b, 10), leg(a, c, 10));
            merchant.post("/v1/ledger-transactions/" + pending + "/reverse", "{}").expectStatus().isEqualTo(409);
        }

        @Test
        void an_idempotent_reversal_answers_the_same_again() {
            String id = (String) merchant.post("/v1/ledger-transactions", transaction(leg(a, b, 600), leg(a, c, 100)))
                    .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
            String first = merchant.post("/v1/ledger-transactions/" + id + "/reverse", "{}", "rev-1").expectStatus().isOk()
                    .expectBody(String.class).returnResult().getResponseBody();
            String again = merchant.post("/v1/ledger-transactions/" + id + "/reverse", "{}", "rev-1").expectStatus().isOk()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(again).isEqualTo(first);
            assertThat(merchant.available(a)).isEqualTo(1_100);
        }
    }
}
