package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.LedgerJson;
import dev.ledgerflow.gateway.ApiClient;
import java.time.Duration;
import java.util.List;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/** A burst of writes against a service whose admission bounds are set low, for the overload tests. */
final class ConcurrentDeposits {

    static final long AMOUNT = 100;

    private ConcurrentDeposits() {}

    /**
     * Sends {@code count} deposits of {@link #AMOUNT} from 32 clients at once and checks that each was
     * either admitted (201) or refused as 503 {@code overloaded} with {@code Retry-After}, that both
     * happened, and returns how many were admitted.
     */
    static int sendAtOnce(ApiClient merchant, String account, int count) {
        List<EntityExchangeResult<byte[]>> answers = Flux.range(0, count)
                .parallel(32).runOn(Schedulers.boundedElastic())
                .map(n -> merchant.post("/v1/accounts/" + account + "/deposits", "{\"amount\":" + AMOUNT + "}")
                        .expectBody().returnResult())
                .sequential()
                .collectList()
                .block(Duration.ofSeconds(60));

        List<EntityExchangeResult<byte[]>> created = answers.stream().filter(a -> a.getStatus().value() == 201).toList();
        List<EntityExchangeResult<byte[]>> refused = answers.stream().filter(a -> a.getStatus().value() == 503).toList();
        assertThat(created.size() + refused.size()).as("every answer is 201 or 503").isEqualTo(count);
        assertThat(refused).as("some writes found a bound reached").isNotEmpty();
        assertThat(created).as("some writes were admitted").isNotEmpty();
        refused.forEach(answer -> {
            assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");
            assertThat(answer.getResponseHeaders().getContentType()).hasToString("application/problem+json");
            assertThat(LedgerJson.mapper().readTree(answer.getResponseBodyContent()).get("code").asString())
                    .isEqualTo("overloaded");
        });
        return created.size();
    }
}
