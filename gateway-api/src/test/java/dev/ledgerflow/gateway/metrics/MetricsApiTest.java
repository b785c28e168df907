package dev.ledgerflow.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The business meters on {@code /actuator/prometheus}, read as Prometheus reads them after real
 * payments: payments by method and outcome, the acquirer's latency and retries, group commit, the
 * connection pool, each feed consumer's lag, overload refusals, and requests refused before routing
 * tagged by their route.
 */
class MetricsApiTest extends ApiTestBase {

    static String card(String number) {
        return "{\"amount\":300,\"currency\":\"usd\",\"capture_method\":\"automatic\",\"source\":"
                + "{\"type\":\"card\",\"number\":\"" + number + "\",\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}";
    }

    @Test
    void after_payments_the_scrape_has_the_business_meters() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String approved = (String) merchant.created("/v1/payments", card("4242424242424242")).get("id");
        String declined = (String) merchant.created("/v1/payments", card("4000000000000002")).get("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> !"processing".equals(merchant.read("/v1/payments/" + approved).get("status"))
                && !"processing".equals(merchant.read("/v1/payments/" + declined).get("status")));

        String scrape = scrape();

        assertThat(sample(scrape, "ledger_payments_started_total", "method=\"card\"")).isGreaterThanOrEqualTo(2);
        assertThat(sample(scrape, "ledger_payments_outcomes_total", "method=\"card\"", "outcome=\"authorized\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "ledger_payments_outcomes_total", "method=\"card\"", "outcome=\"failed\"",
                "failure_code=\"card_declined\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "ledger_payments_outcomes_total", "method=\"upi\"", "failure_code=\"timeout\"")).isZero();
        assertThat(sample(scrape, "ledger_acquirer_latency_seconds_count", "result=\"approved\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "ledger_acquirer_latency_seconds_count", "result=\"declined\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "ledger_acquirer_latency_seconds_sum", "result=\"approved\"")).isPositive();
        assertThat(sample(scrape, "ledger_acquirer_retries_total")).isGreaterThanOrEqualTo(0);

        // Group commit: the two payments and their outcomes, at least, went through it.
        assertThat(sample(scrape, "ledger_append_batch_size_count")).isGreaterThanOrEqualTo(2);
        assertThat(sample(scrape, "ledger_append_batch_size_sum")).isGreaterThanOrEqualTo(4);
        assertThat(sample(scrape, "ledger_append_batch_wait_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(sample(scrape, "ledger_append_duration_seconds_count")).isGreaterThanOrEqualTo(4);
        assertThat(sample(scrape, "ledger_append_duration_seconds_sum")).isPositive();
        assertThat(sample(scrape, "ledger_append_queue_waiting")).isGreaterThanOrEqualTo(0);

        assertThat(sample(scrape, "r2dbc_pool_max_allocated", "name=\"ledgerflow\"")).isPositive();
        assertThat(sample(scrape, "r2dbc_pool_acquired", "name=\"ledgerflow\"")).isGreaterThanOrEqualTo(0);
        assertThat(sample(scrape, "r2dbc_pool_pending", "name=\"ledgerflow\"")).isGreaterThanOrEqualTo(0);

        assertThat(sample(scrape, "ledger_overload_rejections_total", "stage=\"admission\"")).isZero();
        assertThat(sample(scrape, "ledger_overload_rejections_total", "stage=\"append_queue\"")).isZero();
        assertThat(sample(scrape, "ledger_writes_in_flight")).isGreaterThanOrEqualTo(0);
    }

    @Test
    void every_meter_the_grafana_dashboard_reads_is_on_the_scrape() throws Exception {
        String dashboard = Files.readString(Path.of("..", "docs", "grafana-ledgerflow.json"));
        ApiClient merchant = ApiClient.newMerchant(http);
        merchant.created("/v1/payments", card("4242424242424242"));
        Set<String> names = new TreeSet<>();
        Matcher meter = Pattern.compile("\\b(?:ledger|r2dbc_pool|http_server_requests)_[a-z_]*").matcher(dashboard);
        while (meter.find()) {
            names.add(meter.group());
        }
        assertThat(names).hasSizeGreaterThan(15);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String scrape = scrape();
            assertThat(names).allSatisfy(name -> assertThat(scrape.lines()
                    .anyMatch(line -> line.startsWith(name + "{") || line.startsWith(name + " ")))
                    .as("%s on /actuator/prometheus", name).isTrue());
        });
    }

    @Test
    void each_feed_consumer_has_its_lag() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                sample(scrape(), "ledger_projection_lag_events", "kind=\"consumer\"", "projection=\"payment-processor\""))
                .isGreaterThanOrEqualTo(0));
    }

    @Test
    void a_request_refused_before_routing_is_tagged_by_its_route_not_unknown() {
        http.post().uri("/v1/payments").header("Content-Type", "application/json").bodyValue(card("4242424242424242"))
                .exchange().expectStatus().isUnauthorized();
        http.get().uri("/v1/payments/pay_nokey").exchange().expectStatus().isUnauthorized();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String scrape = scrape();
            assertThat(sample(scrape, "http_server_requests_seconds_count", "method=\"POST\"", "status=\"401\"",
                    "uri=\"/v1/payments\"")).isGreaterThanOrEqualTo(1);
            assertThat(sample(scrape, "http_server_requests_seconds_count", "method=\"GET\"", "status=\"401\"",
                    "uri=\"/v1/payments/{id}\"")).isGreaterThanOrEqualTo(1);
            assertThat(scrape.lines().filter(line -> line.startsWith("http_server_requests_seconds_count{")
                    && line.contains("status=\"401\"") && line.contains("uri=\"UNKNOWN\""))).isEmpty();
        });
    }
}
