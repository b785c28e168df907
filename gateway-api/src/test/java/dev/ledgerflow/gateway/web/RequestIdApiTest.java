package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import reactor.core.publisher.Mono;

/** Every answer carries a Request-Id, the caller's when well formed, and a write's events keep it in their metadata. */
class RequestIdApiTest extends ApiTestBase {

    @Autowired
    ConnectionPool pool;

    @Test
    void a_write_answers_with_the_callers_request_id_and_its_events_keep_it() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String requestId = "req-from-client." + System.nanoTime();

        String account = http.post().uri("/v1/accounts")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header(RequestIds.HEADER, requestId)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"currency\":\"USD\"}")
                .exchange()
                .expectStatus().isCreated()
                .expectHeader().valueEquals(RequestIds.HEADER, requestId)
                .expectBody(java.util.Map.class).returnResult().getResponseBody().get("id").toString();

        assertThat(storedRequestId(account)).isEqualTo(requestId);
    }

    @Test
    void without_one_or_with_a_malformed_one_the_service_makes_its_own_also_on_problems() {
        String generated = http.get().uri("/v1/payments/pay_nothing").exchange()
                .expectStatus().isUnauthorized()
                .returnResult(String.class).getResponseHeaders().getFirst(RequestIds.HEADER);
        assertThat(generated).matches("req_[0-9a-f]{24}");

        String replaced = http.get().uri("/actuator/health").header(RequestIds.HEADER, "bad id with spaces").exchange()
                .returnResult(String.class).getResponseHeaders().getFirst(RequestIds.HEADER);
        assertThat(replaced).matches("req_[0-9a-f]{24}");
    }

    private String storedRequestId(String stream) {
        return Mono.usingWhen(pool.create(),
                c -> Mono.from(c.createStatement("select metadata->>'request_id' from events where stream_id = $1")
                                .bind("$1", stream).execute())
                        .flatMap(result -> Mono.from(result.map(row -> row.get(0, String.class)))),
                c -> c.close()).block(Duration.ofSeconds(10));
    }
}
