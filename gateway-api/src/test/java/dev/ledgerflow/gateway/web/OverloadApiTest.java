package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Admission control: writes that find the group-commit queue full are answered 503 {@code overloaded}
 * with {@code Retry-After} at once, and store nothing; the ones admitted are stored as usual.
 */
@TestPropertySource(properties = {"ledger.append-queue-max=1", "ledger.append-batch-size-max=1"})
class OverloadApiTest extends ApiTestBase {

    @Test
    void writes_past_the_queue_bound_answer_503_overloaded_at_once_and_store_nothing() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("EUR", 0);

        int admitted = ConcurrentDeposits.sendAtOnce(merchant, account, 64);

        long expected = ConcurrentDeposits.AMOUNT * admitted;
        await().atMost(Duration.ofSeconds(30)).until(() -> merchant.available(account) == expected);
        assertThat(sample(scrape(), "ledger_overload_rejections_total", "stage=\"append_queue\""))
                .as("refusals counted where they happened").isEqualTo(64 - admitted);
    }
}
