package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Import;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Admission control at the door: writes past the in-flight bound are answered 503 {@code overloaded}
 * with {@code Retry-After} at once, and store nothing; the ones admitted are stored as usual; reads are
 * never refused.
 */
@TestPropertySource(properties = "ledger.writes-in-flight-max=2")
@Import(WriteAdmissionApiTest.EmptyAnswers.class)
class WriteAdmissionApiTest extends ApiTestBase {

    /** A write handler that completes without an answer, as a broken pipeline would. */
    @RestController
    static class EmptyAnswers {
        @PostMapping("/v1/test-only/no-answer")
        Mono<ResponseEntity<String>> noAnswer() {
            return Mono.empty();
        }
    }

    @Test
    void a_write_that_completes_without_an_answer_is_a_500_never_an_empty_200() {
        ApiClient merchant = ApiClient.newMerchant(http);
        merchant.post("/v1/test-only/no-answer", "{}").expectStatus().isEqualTo(500)
                .expectBody().jsonPath("$.code").isEqualTo("internal_error");
    }

    @Test
    void writes_past_the_in_flight_bound_answer_503_overloaded_at_once_and_store_nothing() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("EUR", 0);

        int admitted = ConcurrentDeposits.sendAtOnce(merchant, account, 64);

        long expected = ConcurrentDeposits.AMOUNT * admitted;
        await().atMost(Duration.ofSeconds(30)).until(() -> merchant.available(account) == expected);
        assertThat(sample(scrape(), "ledger_overload_rejections_total", "stage=\"admission\""))
                .as("refusals counted where they happened").isEqualTo(64 - admitted);
        List<Integer> reads = Flux.range(0, 64)
                .parallel(32).runOn(Schedulers.boundedElastic())
                .map(n -> merchant.get("/v1/accounts/" + account).expectBody().returnResult().getStatus().value())
                .sequential()
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(reads).as("reads are not subject to the write bound").containsOnly(200);
    }
}
