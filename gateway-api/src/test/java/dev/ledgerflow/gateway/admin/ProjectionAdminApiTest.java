package dev.ledgerflow.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code /admin/projections}, rebuilds under load, {@code /admin/invariants} and the lag metrics. */
@TestPropertySource(properties = {"ledger.acquirer-latency=1ms", "ledger.projection-retired-drop-delay=0s"})
class ProjectionAdminApiTest extends ApiTestBase {

    @LocalServerPort
    int port;

    @SuppressWarnings("unchecked")
    Map<String, Object> admin(String path) {
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> readers() {
        return (List<Map<String, Object>>) admin("/admin/projections").get("data");
    }

    Map<String, Object> reader(String name) {
        return readers().stream().filter(r -> r.get("name").equals(name)).findFirst().orElseThrow();
    }

    @Test
    void every_projection_and_feed_consumer_shows_its_position_and_lag() {
        ApiClient merchant = ApiClient.newMerchant(http);
        merchant.deposit(merchant.openAccount("USD", 0), 100);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(readers())
                .filteredOn(r -> r.get("kind").equals("projection"))
                .allSatisfy(r -> assertThat(((Number) r.get("lag_events")).longValue()).isZero()));

        List<Map<String, Object>> readers = readers();
        assertThat(readers).extracting(r -> r.get("name"))
                .contains("transactions", "volume", "account_entries", "payment-processor");
        assertThat(readers).allSatisfy(r -> assertThat(r).containsKeys("position", "lag_events", "lag_ms", "status", "kind"));
        assertThat(reader("transactions")).containsEntry("kind", "projection").containsEntry("status", "running");
        assertThat(((Number) reader("transactions").get("position")).longValue()).isPositive();
        assertThat(reader("payment-processor")).containsEntry("kind", "consumer");

        http.get().uri("/admin/projections").header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key()).exchange()
                .expectStatus().isUnauthorized();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(http.get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody())
                .contains("ledger_projection_lag_events{kind=\"projection\",projection=\"transactions\"}")
                .contains("ledger_projection_lag_ms_milliseconds{kind=\"consumer\",projection=\"payment-processor\"}"));
    }

    @Test
    void rebuilds_of_unknown_names_and_of_feed_consumers_are_refused() {
        post("/admin/projections/nonsense/rebuild").expectStatus().isNotFound();
        post("/admin/projections/payment-processor/rebuild").expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.code").isEqualTo("invalid_state");
    }

    @Test
    @SuppressWarnings("unchecked")
    void a_rebuild_under_concurrent_writes_and_reads_swaps_in_with_no_failed_read_and_the_invariants_hold() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String a = merchant.openAccount("USD", 0);
        String b = merchant.openAccount("USD", 0);
        merchant.deposit(a, 1_000_000);
        WebClient client = WebClient.create("http://localhost:" + port);
        AtomicBoolean running = new AtomicBoolean(true);
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        Disposable writers = Flux.range(0, 2).flatMap(i -> Mono.defer(() -> client.post().uri("/v1/transfers")
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                        .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                        .bodyValue("{\"from_account\":\"" + a + "\",\"to_account\":\"" + b + "\",\"amount\":1,\"currency\":\"USD\"}")
                        .retrieve().toBodilessEntity())
                .repeat(running::get)).subscribe(null, error -> failures.add(error.toString()));
        Disposable readers = Flux.range(0, 3).flatMap(i -> Mono.defer(() -> Flux.just("/v1/transactions?limit=5",
                                "/v1/reports/volume", "/v1/accounts/" + a + "/entries", "/v1/accounts/" + b + "/balance",
                                "/v1/payments")
                        .concatMap(path -> client.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                                .exchangeToMono(response -> response.statusCode().is2xxSuccessful()
                                        ? response.releaseBody().doOnSuccess(done -> reads.incrementAndGet())
                                        : response.bodyToMono(String.class).doOnNext(body -> failures.add(path + " " + body)).then()))
                        .then())
                .repeat(running::get)).subscribe(null, error -> failures.add(error.toString()));

        for (String name : List.of("transactions", "volume", "account_entries", "balance_monitors")) {
            post("/admin/projections/" + name + "/rebuild").expectStatus().isAccepted()
                    .expectBody().jsonPath("$.projection").isEqualTo(name).jsonPath("$.generation").isEqualTo(2)
                    .jsonPath("$.status").isEqualTo("rebuilding");
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(readers())
                .filteredOn(r -> r.get("kind").equals("projection"))
                .allSatisfy(r -> assertThat(r).containsEntry("generation", 2).containsEntry("rebuild", null)));
        int readsAtSwap = reads.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> reads.get() > readsAtSwap + 10);
        running.set(false);
        writers.dispose();
        readers.dispose();
        assertThat(failures).isEmpty();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, Object> report = admin("/admin/invariants");
            List<Map<String, Object>> comparisons = (List<Map<String, Object>>) report.get("comparisons");
            assertThat(comparisons).extracting(c -> c.get("name"))
                    .containsExactly("account_balances", "transactions", "volume", "account_entries");
            assertThat(comparisons).allSatisfy(c -> assertThat(c).containsEntry("ok", true).containsEntry("mismatch_count", 0));
            assertThat((List<Map<String, Object>>) report.get("currencies"))
                    .allSatisfy(c -> assertThat(c).containsEntry("sum", 0).containsEntry("ok", true));
            assertThat(report.get("ok")).isEqualTo(true);
            // Caught up: the replays cover every event.
            assertThat(readers()).filteredOn(r -> r.get("kind").equals("projection"))
                    .allSatisfy(r -> assertThat(((Number) r.get("lag_events")).longValue()).isZero());
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void the_invariant_check_finds_a_projection_that_differs_from_a_replay(
            @org.springframework.beans.factory.annotation.Autowired io.r2dbc.pool.ConnectionPool pool,
            @org.springframework.beans.factory.annotation.Autowired dev.ledgerflow.projections.projector.Projections projections) {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("USD", 0);
        merchant.deposit(account, 500);
        await().atMost(Duration.ofSeconds(20)).until(() -> ((Number) reader("account_entries").get("lag_events")).longValue() == 0);
        String table = projections.catalog().active("account_entries").block().table("account_entries");
        Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement("update " + table
                        + " set posted_after = posted_after + 1 where account_id = '" + account + "'").execute())
                .flatMap(r -> Mono.from(r.getRowsUpdated())), c -> c.close()).block();

        Map<String, Object> report = admin("/admin/invariants");
        assertThat(report.get("ok")).isEqualTo(false);
        Map<String, Object> entries = ((List<Map<String, Object>>) report.get("comparisons")).stream()
                .filter(c -> c.get("name").equals("account_entries")).findFirst().orElseThrow();
        assertThat(entries).containsEntry("ok", false).containsEntry("mismatch_count", 1);
        assertThat((List<Map<String, Object>>) entries.get("mismatches")).singleElement()
                .satisfies(m -> assertThat(m).containsEntry("id", account));

        Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement("update " + table
                        + " set posted_after = posted_after - 1 where account_id = '" + account + "'").execute())
                .flatMap(r -> Mono.from(r.getRowsUpdated())), c -> c.close()).block();
        assertThat(admin("/admin/invariants").get("ok")).isEqualTo(true);
    }

    org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec post(String path) {
        return http.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange();
    }
}
