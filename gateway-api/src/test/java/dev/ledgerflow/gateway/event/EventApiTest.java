package dev.ledgerflow.gateway.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/events?after=}: the merchant's events in log order, paged by position. */
class EventApiTest extends ApiTestBase {

    @Test
    @SuppressWarnings("unchecked")
    void paging_by_the_last_position_reads_every_event_once_in_log_order() {
        ApiClient merchant = ApiClient.newMerchant(http);
        ApiClient other = ApiClient.newMerchant(http);
        String account = merchant.openAccount("USD", 0);
        other.openAccount("USD", 0);
        for (int i = 0; i < 6; i++) {
            merchant.deposit(account, 10 + i);
        }

        List<Map<String, Object>> all = new ArrayList<>();
        long after = 0;
        while (true) {
            Map<String, Object> page = merchant.read("/v1/events?limit=3&after=" + after);
            List<Map<String, Object>> events = (List<Map<String, Object>>) page.get("data");
            all.addAll(events);
            if (!(Boolean) page.get("has_more")) {
                break;
            }
            after = ((Number) events.getLast().get("position")).longValue();
        }
        assertThat(all).extracting(e -> e.get("type")).containsExactly("account.created", "deposit.posted", "deposit.posted",
                "deposit.posted", "deposit.posted", "deposit.posted", "deposit.posted");
        assertThat(all).extracting(e -> ((Map<String, Object>) e.get("data")).get("amount")).containsSequence(10, 11, 12, 13, 14, 15);
        assertThat(all).allSatisfy(e -> assertThat((String) e.get("id")).startsWith("evt_"));

        List<Map<String, Object>> deposits = (List<Map<String, Object>>) merchant.read("/v1/events?type=deposit.posted&limit=100").get("data");
        assertThat(deposits).hasSize(6);
        assertThat((List<?>) merchant.read("/v1/events?after=" + ((Number) all.getLast().get("position")).longValue()).get("data")).isEmpty();
        assertThat((List<Map<String, Object>>) other.read("/v1/events").get("data")).singleElement()
                .satisfies(e -> assertThat(e.get("type")).isEqualTo("account.created"));

        merchant.get("/v1/events?after=-1").expectStatus().isBadRequest();
        merchant.get("/v1/events?type=payment.exploded").expectStatus().isBadRequest();
    }
}
