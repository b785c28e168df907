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
 * What the one exception handler logs: a client that went away mid-request is no error of ours
 * (DEBUG, nothing answered); an unexpected failure is an ERROR with the request's id, as in the
 * access log line of that request.
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
    void a_client_that_disconnected_is_not_logged_as_an_error(String message, CapturedOutput output) {
        MockServerWebExchange exchange = exchange("req-gone-1");

        new ProblemExceptionHandler().handle(exchange, new IOException(message)).block(Duration.ofSeconds(5));
        new ProblemExceptionHandler().handle(exchange, new AbortedException("Connection has been closed BEFORE send operation"))
                .block(Duration.ofSeconds(5));

        assertThat(exchange.getResponse().getStatusCode()).as("nobody to answer").isNull();
        assertThat(output.getAll()).doesNotContain("req-gone-1").doesNotContain("ERROR");
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
