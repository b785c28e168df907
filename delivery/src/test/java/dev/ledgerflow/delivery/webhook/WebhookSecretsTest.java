package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Our signatures against the Standard Webhooks test vector and its reference Java verifier. */
class WebhookSecretsTest {

    @Nested
    class TheSpecificationsTestVector {

        // Published with the Standard Webhooks reference implementations.
        static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        static final long TIMESTAMP = 1614265330;
        static final String BODY = "{\"test\": 2432232314}";
        static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

        @Test
        void is_reproduced_exactly() {
            assertThat(WebhookSecrets.sign(SECRET, ID, TIMESTAMP, BODY.getBytes(StandardCharsets.UTF_8))).isEqualTo(SIGNATURE);
        }

        @Test
        void is_what_the_reference_library_computes_too() throws Exception {
            assertThat(new Webhook(SECRET).sign(ID, TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
        }
    }

    @Test
    void a_new_secret_is_whsec_and_32_random_bytes_in_base64() {
        String secret = WebhookSecrets.newSecret();

        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        assertThat(WebhookSecrets.newSecret()).isNotEqualTo(secret);
    }

    @Test
    void the_reference_verifier_accepts_a_signed_message() {
        String secret = WebhookSecrets.newSecret();
        byte[] body = "{\"id\":\"evt_1\",\"type\":\"payment.succeeded\"}".getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();

        String header = WebhookSecrets.signatureHeader(List.of(secret), "evt_1", now, body);

        assertThatCode(() -> new Webhook(secret).verify(new String(body, StandardCharsets.UTF_8), headers("evt_1", now, header)))
                .doesNotThrowAnyException();
    }

    @Test
    void during_a_rotation_receivers_holding_either_secret_accept_the_message() {
        String previous = WebhookSecrets.newSecret();
        String current = WebhookSecrets.newSecret();
        String body = "{\"id\":\"evt_2\"}";
        long now = Instant.now().getEpochSecond();

        String header = WebhookSecrets.signatureHeader(List.of(current, previous), "evt_2", now, body.getBytes(StandardCharsets.UTF_8));

        assertThat(header.split(" ")).hasSize(2).allMatch(signature -> signature.startsWith("v1,"));
        assertThatCode(() -> new Webhook(current).verify(body, headers("evt_2", now, header))).doesNotThrowAnyException();
        assertThatCode(() -> new Webhook(previous).verify(body, headers("evt_2", now, header))).doesNotThrowAnyException();
    }

    @Test
    void the_reference_verifier_rejects_another_secret_and_a_changed_body() {
        String secret = WebhookSecrets.newSecret();
        long now = Instant.now().getEpochSecond();
        String header = WebhookSecrets.signatureHeader(List.of(secret), "evt_3", now, "{\"amount\":100}".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> new Webhook(WebhookSecrets.newSecret()).verify("{\"amount\":100}", headers("evt_3", now, header)))
                .isInstanceOf(WebhookVerificationException.class);
        assertThatThrownBy(() -> new Webhook(secret).verify("{\"amount\":900}", headers("evt_3", now, header)))
                .isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void an_endpoint_signs_with_the_previous_secret_only_until_it_expires() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        var endpoint = new WebhookEndpoints.Endpoint("we_1", "mer_1", "https://example.test/hook", null, List.of("*"), "enabled",
                null, "whsec_current", "whsec_previous", now.plusSeconds(60), now, now);

        assertThat(endpoint.signingSecrets(now)).containsExactly("whsec_current", "whsec_previous");
        assertThat(endpoint.signingSecrets(now.plusSeconds(60))).containsExactly("whsec_current");
    }

    @Test
    void an_id_with_a_dot_is_refused_as_it_could_shift_the_signed_content() {
        assertThatThrownBy(() -> WebhookSecrets.sign(WebhookSecrets.newSecret(), "evt.1", 1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static Map<String, List<String>> headers(String id, long timestamp, String signature) {
        return Map.of("webhook-id", List.of(id), "webhook-timestamp", List.of(Long.toString(timestamp)),
                "webhook-signature", List.of(signature));
    }
}
