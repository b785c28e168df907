package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.netty.channel.AbortedException;

/**
 * What the one exception handler answers and logs: a broken connection, which may be the client's or
 * PostgreSQL's, is answered 503 {@code unavailable} (never nothing, which goes out as an empty 200) and
 * logged at DEBUG only; an unexpected failure is an ERROR with the request's id, as in the access log
 * line of that request.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProblemExceptionHandlerTest {

    private static MockServerWebExchange exchange(String requestId) {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/v1/payments"));
        exchange.getResponse().getHeaders().set(RequestIds.HEADER, requestId); // as RequestIds does, first of all
        return exchange;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection reset by peer", "Broken pipe"})
    void a_broken_connection_is_answered_503_and_not_logged_as_an_error(String message, CapturedOutput output) {
        MockServerWebExchange reset = exchange("req-gone-1");
        new ProblemExceptionHandler().handle(reset, new IOException(message)).block(Duration.ofSeconds(5));
        MockServerWebExchange aborted = exchange("req-gone-2");
        new ProblemExceptionHandler().handle(aborted, new AbortedException("Connection has been closed BEFORE send operation"))
                .block(Duration.ofSeconds(5));

        for (MockServerWebExchange exchange : java.util.List.of(reset, aborted)) {
            assertThat(exchange.getResponse().getStatusCode()).as("answered, never an empty 200")
                    .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(exchange.getResponse().getBodyAsString().block(Duration.ofSeconds(5)))
                    .contains("\"code\":\"unavailable\"").contains("Idempotency-Key");
        }
        assertThat(output.getAll()).doesNotContain("ERROR");
    }

    @Test
    void an_unexpected_failure_is_an_error_with_the_request_id(CapturedOutput output) {
        MockServerWebExchange exchange = exchange("req-boom-1");

        new ProblemExceptionHandler().handle(exchange, new IllegalStateException("boom")).block(Duration.ofSeconds(5));

        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(output.getAll()).contains("ERROR").contains("POST /v1/payments failed (request_id=req-boom-1)")
                .contains("java.lang.IllegalStateException: boom");
    }
}
