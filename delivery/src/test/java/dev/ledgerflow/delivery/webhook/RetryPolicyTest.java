package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules that decide what follows an attempt: the spec's schedule, jitter, Retry-After, 410 and the last attempt. */
class RetryPolicyTest {

    static final WebhookSettings SETTINGS = WebhookSettings.defaults("test");
    static final RetryPolicy POLICY = new RetryPolicy(SETTINGS);
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    static AttemptResult status(int code) {
        return new AttemptResult(NOW, Duration.ofMillis(5), code, null, code / 100 == 2 ? null : "the endpoint answered " + code, "");
    }

    static AttemptResult status(int code, Duration retryAfter) {
        return new AttemptResult(NOW, Duration.ofMillis(5), code, retryAfter, "the endpoint answered " + code, "");
    }

    static AttemptResult noAnswer() {
        return new AttemptResult(NOW, Duration.ofSeconds(15), null, null, "no answer within 15000 ms", null);
    }

    @Test
    void the_default_schedule_is_immediately_then_5s_5m_30m_2h_5h_10h_10h() {
        assertThat(SETTINGS.retrySchedule()).containsExactly(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5),
                Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));
        assertThat(SETTINGS.attemptsMax()).isEqualTo(8);
    }

    @ParameterizedTest(name = "answer {0} succeeds")
    @ValueSource(ints = {200, 201, 202, 204, 299})
    void every_2xx_succeeds(int code) {
        assertThat(POLICY.decide(1, status(code), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.Succeeded());
    }

    @ParameterizedTest(name = "answer {0} is retried")
    @ValueSource(ints = {100, 301, 302, 400, 401, 404, 409, 500, 502, 504})
    void anything_else_is_a_failure_retried_on_the_schedule(int code) {
        assertThat(POLICY.decide(1, status(code), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofSeconds(5)));
    }

    @Test
    void no_answer_at_all_is_retried_too() {
        assertThat(POLICY.decide(2, noAnswer(), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofMinutes(5)));
    }

    @Nested
    class AlongTheSchedule {

        @ParameterizedTest(name = "after attempt {0} the wait is {1}")
        @CsvSource({"1, PT5S", "2, PT5M", "3, PT30M", "4, PT2H", "5, PT5H", "6, PT10H", "7, PT10H"})
        void each_failed_attempt_waits_the_next_step_without_jitter_at_the_midpoint(int attempt, Duration wait) {
            assertThat(POLICY.decide(attempt, status(500), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.Retry(wait));
        }

        @Test
        void the_eighth_failed_attempt_is_the_last_and_the_delivery_is_dead() {
            assertThat(POLICY.decide(8, status(500), () -> 0.5)).isInstanceOf(RetryPolicy.Decision.Dead.class);
        }

        @Test
        void a_success_at_the_last_attempt_still_succeeds() {
            assertThat(POLICY.decide(8, status(200), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.Succeeded());
        }
    }

    @Test
    void jitter_spreads_a_wait_by_at_most_ten_percent_either_way() {
        var lowest = (RetryPolicy.Decision.Retry) POLICY.decide(2, status(500), () -> 0.0);
        var highest = (RetryPolicy.Decision.Retry) POLICY.decide(2, status(500), () -> 0.999_999);

        assertThat(lowest.delay()).isEqualTo(Duration.ofMinutes(5).multipliedBy(9).dividedBy(10));
        assertThat(highest.delay()).isBetween(Duration.ofSeconds(329), Duration.ofSeconds(330));
    }

    @Test
    void an_immediate_step_stays_immediate_whatever_the_jitter() {
        var policy = new RetryPolicy(SETTINGS.withRetrySchedule(List.of(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1))));
        assertThat(policy.decide(1, status(500), () -> 0.9)).isEqualTo(new RetryPolicy.Decision.Retry(Duration.ZERO));
    }

    @Nested
    class RetryAfter {

        @ParameterizedTest(name = "{0} with Retry-After waits for it")
        @ValueSource(ints = {429, 503})
        void a_longer_retry_after_on_429_or_503_is_honoured(int code) {
            assertThat(POLICY.decide(1, status(code, Duration.ofSeconds(120)), () -> 0.5))
                    .isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofSeconds(120)));
        }

        @Test
        void a_shorter_retry_after_never_brings_the_schedule_forward() {
            assertThat(POLICY.decide(2, status(503, Duration.ofSeconds(1)), () -> 0.5))
                    .isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofMinutes(5)));
        }

        @Test
        void a_retry_after_is_capped_so_a_receiver_cannot_park_a_delivery_forever() {
            assertThat(POLICY.decide(1, status(429, Duration.ofDays(30)), () -> 0.5))
                    .isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofHours(24)));
        }

        @Test
        void other_statuses_ignore_retry_after() {
            assertThat(POLICY.decide(1, status(500, Duration.ofSeconds(120)), () -> 0.5))
                    .isEqualTo(new RetryPolicy.Decision.Retry(Duration.ofSeconds(5)));
        }

        @Test
        void the_header_is_read_as_seconds_or_as_an_http_date() {
            assertThat(WebhookSender.retryAfter("120", NOW)).isEqualTo(Duration.ofSeconds(120));
            assertThat(WebhookSender.retryAfter("Thu, 01 Jan 2026 00:02:00 GMT", NOW)).isEqualTo(Duration.ofMinutes(2));
            assertThat(WebhookSender.retryAfter("Wed, 31 Dec 2025 23:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
            assertThat(WebhookSender.retryAfter("soon", NOW)).isNull();
            assertThat(WebhookSender.retryAfter("-5", NOW)).isNull();
            assertThat(WebhookSender.retryAfter(null, NOW)).isNull();
        }
    }

    @Test
    void a_410_gone_disables_the_endpoint_at_any_attempt() {
        assertThat(POLICY.decide(1, status(410), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.EndpointGone());
        assertThat(POLICY.decide(8, status(410), () -> 0.5)).isEqualTo(new RetryPolicy.Decision.EndpointGone());
    }
}
