package dev.ledgerflow.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.payment.processor.SimulatedAcquirer;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.projections.projector.Projections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/** {@code ledger.consumers.enabled=false} (the benchmark's {@code --create-only}): payments are accepted and nothing moves them on. */
@TestPropertySource(properties = {"ledger.consumers.enabled=false", "ledger.acquirer-latency=5ms"})
class ConsumersOffApiTest extends ApiTestBase {

    @Autowired
    List<FeedConsumer> consumers;

    @Autowired
    SimulatedAcquirer acquirer;

    @Autowired
    Projections projections;

    @Test
    void a_payment_is_accepted_and_stays_processing() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String id = (String) merchant.created("/v1/payments", PaymentApiTest.card("4242424242424242", 2_500, "automatic")).get("id");

        // Nothing can move it on: no consumer of the log runs (below), and the acquirer was never asked.
        assertThat(merchant.read("/v1/payments/" + id).get("status")).isEqualTo("processing");
        assertThat(acquirer.calls()).isZero();
        merchant.get("/v1/payments/" + id + "/events").expectStatus().isOk().expectBody()
                .jsonPath("$.data.length()").isEqualTo(1)
                .jsonPath("$.data[0].type").isEqualTo("payment.created");
        assertThat(consumers).isNotEmpty().allSatisfy(consumer -> assertThat(consumer.status().running()).isFalse());
        assertThat(projections.names()).allSatisfy(name ->
                assertThat(projections.runner(name).map(runner -> runner.isRunning()).orElse(false)).isFalse());
    }
}
