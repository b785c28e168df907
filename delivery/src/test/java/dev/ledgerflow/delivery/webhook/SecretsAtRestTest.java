package dev.ledgerflow.delivery.webhook;

import static dev.ledgerflow.delivery.webhook.WebhookHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.testing.TestRedis;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Webhook secrets at rest on a real PostgreSQL: what the columns hold, the start-up step that seals
 * secrets stored in clear by earlier versions and those under a previous key, and its refusals.
 */
class SecretsAtRestTest {

    static final String KEY_BASE64 = SecretsKey.newKeyBase64();
    static final String OLD_KEY_BASE64 = SecretsKey.newKeyBase64();
    static final SecretsKey KEY = SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", KEY_BASE64);
    static final SecretsCipher CIPHER = new SecretsCipher(KEY);
    static final List<Duration> NO_RETRIES = List.of(Duration.ZERO);

    WebhookReceiver receiver;
    WebhookHarness h;

    @BeforeEach
    void start() {
        receiver = WebhookReceiver.start();
        h = new WebhookHarness(TestRedis.url(), WebhookHarness.testSettings(NO_RETRIES), CIPHER);
    }

    @AfterEach
    void close() {
        h.close();
        receiver.close();
    }

    record Stored(String secret, String previousSecret) {}

    Stored stored(String endpointId) {
        return Sql.on(h.pool).query("select secret, previous_secret from webhook_endpoints where id = $1",
                        row -> new Stored(row.get("secret", String.class), row.get("previous_secret", String.class)), endpointId)
                .single().block(WAIT);
    }

    String storedResponse(String scope, String key) {
        return Sql.on(h.pool).query("select response_body from idempotency_keys where scope = $1 and key = $2",
                row -> row.get("response_body", String.class), scope, key).single().block(WAIT);
    }

    /** An endpoint as an earlier version wrote it: secrets in clear, here during a rotation's overlap. */
    void insertInClear(String id, String merchant, String url, String secret, String previousSecret) {
        Sql.on(h.pool).update("insert into webhook_endpoints (id, merchant_id, url, event_types, status, secret, previous_secret,"
                        + " previous_secret_expires_at, created_at) values ($1, $2, $3, $4, 'enabled', $5, $6,"
                        + " now() + interval '1 hour', now() - interval '1 minute')",
                id, merchant, url, new String[] {"*"}, secret,
                previousSecret == null ? new Sql.Null(String.class) : previousSecret).block(WAIT);
    }

    void insertResponse(String scope, String key, String body) {
        Sql.on(h.pool).update("insert into idempotency_keys (scope, key, fingerprint, response_status, response_body, expires_at)"
                + " values ($1, $2, 'request-digest', 201, $3, now() + interval '1 day')", scope, key, body).block(WAIT);
    }

    SecretsAtRest.Outcome startUp(SecretsCipher cipher) {
        return new SecretsAtRest(h.pool, cipher).sealAll().block(WAIT);
    }

    static WebhookEndpoints.IdempotencyKey idempotencyKey(String key) {
        return new WebhookEndpoints.IdempotencyKey(key, "request-digest", 201, Duration.ofDays(1));
    }

    static String render(WebhookEndpoints.Endpoint endpoint) {
        return "{\"id\":\"" + endpoint.id() + "\",\"secret\":\"" + endpoint.secret() + "\"}";
    }

    static String keyPart(String secret) {
        return secret.substring(WebhookSecrets.PREFIX.length());
    }

    @Nested
    class WhatIsStored {

        @Test
        void the_secret_columns_hold_sealed_values_that_neither_are_nor_contain_the_secrets() {
            var created = h.endpoint("mer_a", receiver.url("/hook"), "*");
            var rotated = h.endpoints.rotateSecret("mer_a", created.id(), Duration.ofHours(24)).block(WAIT);

            Stored stored = stored(created.id());

            assertThat(stored.secret()).startsWith("v2:" + KEY.fingerprint() + ":")
                    .doesNotContain(rotated.secret()).doesNotContain(keyPart(rotated.secret()));
            assertThat(stored.previousSecret()).startsWith("v2:" + KEY.fingerprint() + ":")
                    .doesNotContain(created.secret()).doesNotContain(keyPart(created.secret()));
            assertThat(created.secret()).startsWith(WebhookSecrets.PREFIX);
            var found = h.endpoints.find("mer_a", created.id()).block(WAIT);
            assertThat(found.secret()).isEqualTo(rotated.secret());
            assertThat(found.previousSecret()).isEqualTo(created.secret());
        }

        @Test
        void a_create_response_kept_for_its_idempotency_key_is_sealed_and_still_answers_the_retry_with_the_secret() {
            var first = (WebhookEndpoints.Creation.Created) h.endpoints.create("mer_a", receiver.url("/hook"), List.of("*"), null,
                    Instant.now(), idempotencyKey("create-1"), SecretsAtRestTest::render).block(WAIT);

            String stored = storedResponse("mer_a", "create-1");
            var retried = h.endpoints.create("mer_a", receiver.url("/hook"), List.of("*"), null, Instant.now(),
                    idempotencyKey("create-1"), SecretsAtRestTest::render).block(WAIT);

            assertThat(stored).startsWith("v2:" + KEY.fingerprint() + ":").doesNotContain(keyPart(first.endpoint().secret()));
            assertThat(retried).isInstanceOfSatisfying(WebhookEndpoints.Creation.Stored.class,
                    replay -> assertThat(replay.responseBody()).isEqualTo(first.responseBody()).contains(first.endpoint().secret()));
        }

        @Test
        void a_secret_moved_into_another_endpoints_row_does_not_decrypt_and_signs_nothing() {
            var a = h.endpoint("mer_a", receiver.url("/a"), "*");
            var b = h.endpoint("mer_b", receiver.url("/b"), "*");
            Sql.on(h.pool).update("update webhook_endpoints set secret = $2 where id = $1", b.id(), stored(a.id()).secret())
                    .block(WAIT);

            assertThatThrownBy(() -> h.endpoints.find("mer_b", b.id()).block(WAIT))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("webhook_endpoints:" + b.id())
                    .hasMessageContaining("does not decrypt under key " + KEY.fingerprint());

            h.startService();
            h.append("mer_b", "payment.created", Map.of("id", "pay_1"));
            // A worker took the delivery, could not open the secret, sent nothing, and ended it dead at once.
            await().atMost(WAIT).until(() -> h.deliveriesOf("mer_b").size() == 1
                    && h.deliveriesOf("mer_b").getFirst().status().equals("dead"));
            await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> receiver.received().isEmpty());
            assertThat(h.deliveriesOf("mer_b")).singleElement().satisfies(d -> {
                assertThat(d.attempts()).isZero();
                assertThat(d.lastError()).startsWith("secret_unreadable: ").contains("webhook_endpoints:" + b.id());
            });
        }
    }

    @Nested
    class AtStartUp {

        @Test
        void secrets_stored_in_clear_by_an_earlier_version_are_sealed_and_then_sign_as_before_with_both_during_an_overlap() {
            String secret = WebhookSecrets.newSecret();
            String previous = WebhookSecrets.newSecret();
            insertInClear("we_legacy", "mer_a", receiver.url("/legacy"), secret, previous);

            assertThat(startUp(CIPHER)).isEqualTo(new SecretsAtRest.Outcome(1, 0));

            Stored stored = stored("we_legacy");
            assertThat(stored.secret()).startsWith(CIPHER.currentPrefix()).doesNotContain(keyPart(secret));
            assertThat(stored.previousSecret()).startsWith(CIPHER.currentPrefix()).doesNotContain(keyPart(previous));
            h.startService();
            h.append("mer_a", "payment.created", Map.of("id", "pay_1"));
            await().atMost(WAIT.multipliedBy(3)).until(() -> receiver.received().size() == 1);
            var request = receiver.received().getFirst();
            assertThat(request.header("webhook-signature").split(" ")).hasSize(2);
            WebhookDeliveryTest.verify(request, secret);
            WebhookDeliveryTest.verify(request, previous);
        }

        @Test
        void secrets_and_create_responses_in_the_first_format_still_open_and_are_sealed_again_in_the_current_one() throws Exception {
            String secret = WebhookSecrets.newSecret();
            String previous = WebhookSecrets.newSecret();
            insertInClear("we_v1", "mer_a", receiver.url("/v1"), sealedInTheFirstFormat(secret, "webhook_endpoints:we_v1"),
                    sealedInTheFirstFormat(previous, "webhook_endpoints:we_v1"));
            String body = "{\"id\":\"we_v1\",\"secret\":\"" + secret + "\"}";
            insertResponse("mer_a", "create-v1", sealedInTheFirstFormat(body, "idempotency_keys:mer_a:create-v1"));
            assertThat(h.endpoints.find("mer_a", "we_v1").block(WAIT).secret()).as("read before start-up").isEqualTo(secret);

            assertThat(startUp(CIPHER)).isEqualTo(new SecretsAtRest.Outcome(1, 1));

            Stored stored = stored("we_v1");
            assertThat(stored.secret()).startsWith(CIPHER.currentPrefix()).startsWith("v2:");
            assertThat(stored.previousSecret()).startsWith(CIPHER.currentPrefix());
            assertThat(storedResponse("mer_a", "create-v1")).startsWith(CIPHER.currentPrefix());
            var found = h.endpoints.find("mer_a", "we_v1").block(WAIT);
            assertThat(found.secret()).isEqualTo(secret);
            assertThat(found.previousSecret()).isEqualTo(previous);
            var retried = h.endpoints.create("mer_a", receiver.url("/v1"), List.of("*"), null, Instant.now(),
                    idempotencyKey("create-v1"), SecretsAtRestTest::render).block(WAIT);
            assertThat(retried).isInstanceOfSatisfying(WebhookEndpoints.Creation.Stored.class,
                    replay -> assertThat(replay.responseBody()).isEqualTo(body));
            h.startService();
            h.append("mer_a", "payment.created", Map.of("id", "pay_1"));
            await().atMost(WAIT.multipliedBy(3)).until(() -> receiver.received().size() == 1);
            WebhookDeliveryTest.verify(receiver.received().getFirst(), secret);
            WebhookDeliveryTest.verify(receiver.received().getFirst(), previous);
        }

        /**
         * A value as the first format ({@code v1}) stored it, sealed here with the JDK's AES-GCM rather than
         * the code under test: a 12-byte nonce, the ciphertext and a 16-byte tag, associated data {@code v1:<context>}.
         */
        static String sealedInTheFirstFormat(String plaintext, String context) throws Exception {
            byte[] nonce = new byte[12];
            new java.security.SecureRandom().nextBytes(nonce);
            javax.crypto.Cipher aesGcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            aesGcm.init(javax.crypto.Cipher.ENCRYPT_MODE,
                    new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(KEY_BASE64), "AES"),
                    new javax.crypto.spec.GCMParameterSpec(128, nonce));
            aesGcm.updateAAD(("v1:" + context).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            byte[] sealed = aesGcm.doFinal(plaintext.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            byte[] stored = java.nio.ByteBuffer.allocate(12 + sealed.length).put(nonce).put(sealed).array();
            return "v1:" + KEY.fingerprint() + ":" + java.util.Base64.getEncoder().encodeToString(stored);
        }

        @Test
        void running_it_again_changes_nothing() {
            insertInClear("we_legacy", "mer_a", receiver.url("/legacy"), WebhookSecrets.newSecret(), null);
            h.endpoint("mer_a", receiver.url("/new"), "*");
            startUp(CIPHER);
            Stored afterFirst = stored("we_legacy");

            assertThat(startUp(CIPHER)).isEqualTo(new SecretsAtRest.Outcome(0, 0));
            assertThat(stored("we_legacy")).isEqualTo(afterFirst);
        }

        @Test
        void two_instances_starting_at_once_seal_each_secret_once_and_every_one_still_opens() {
            List<String> secrets = IntStream.range(0, 40).mapToObj(i -> WebhookSecrets.newSecret()).toList();
            for (int i = 0; i < secrets.size(); i++) {
                insertInClear("we_legacy_" + i, "mer_a", receiver.url("/legacy"), secrets.get(i), null);
            }

            var outcomes = Mono.zip(new SecretsAtRest(h.pool, CIPHER).sealAll(), new SecretsAtRest(h.pool, CIPHER).sealAll())
                    .block(WAIT);

            assertThat(outcomes.getT1().endpoints() + outcomes.getT2().endpoints()).isEqualTo(40);
            assertThat(List.of(outcomes.getT1().endpoints(), outcomes.getT2().endpoints())).contains(0);
            for (int i = 0; i < secrets.size(); i++) {
                assertThat(h.endpoints.find("mer_a", "we_legacy_" + i).block(WAIT).secret()).isEqualTo(secrets.get(i));
                assertThat(stored("we_legacy_" + i).secret()).startsWith(CIPHER.currentPrefix());
            }
        }

        @Test
        void a_create_response_stored_in_clear_by_an_earlier_version_is_sealed_and_other_stored_responses_are_left_alone() {
            String secret = WebhookSecrets.newSecret();
            insertInClear("we_legacy", "mer_a", receiver.url("/legacy"), secret, null);
            String legacyBody = "{\"id\":\"we_legacy\",\"url\":\"https://example.test\",\"secret\":\"" + secret + "\"}";
            String paymentBody = "{\"id\":\"pay_1\",\"status\":\"processing\",\"metadata\":{\"note\":\"whsec_not_a_secret\"}}";
            insertResponse("mer_a", "create-legacy", legacyBody);
            insertResponse("mer_a", "pay-1", paymentBody);

            assertThat(startUp(CIPHER)).isEqualTo(new SecretsAtRest.Outcome(1, 1));

            assertThat(storedResponse("mer_a", "create-legacy")).startsWith(CIPHER.currentPrefix()).doesNotContain(keyPart(secret));
            assertThat(storedResponse("mer_a", "pay-1")).isEqualTo(paymentBody);
            var retried = h.endpoints.create("mer_a", receiver.url("/legacy"), List.of("*"), null, Instant.now(),
                    idempotencyKey("create-legacy"), SecretsAtRestTest::render).block(WAIT);
            assertThat(retried).isInstanceOfSatisfying(WebhookEndpoints.Creation.Stored.class,
                    replay -> assertThat(replay.responseBody()).isEqualTo(legacyBody));
        }

        @Test
        void secrets_under_a_key_that_is_not_configured_refuse_the_start_naming_the_keys_and_change_nothing() {
            SecretsKey other = SecretsKey.generate("LEDGER_WEBHOOKS_SECRETS_KEY");
            var underOther = new WebhookEndpoints(h.pool, new SecretsCipher(other))
                    .create("mer_a", receiver.url("/other"), List.of("*"), null, Instant.now()).block(WAIT);
            insertInClear("we_legacy", "mer_a", receiver.url("/legacy"), WebhookSecrets.newSecret(), null);
            Stored clear = stored("we_legacy");

            assertThatThrownBy(() -> startUp(CIPHER))
                    .isInstanceOf(SecretsAtRest.KeyMismatch.class)
                    .hasMessageContaining("1 stored webhook secret cannot be read with the configured keys"
                            + " (LEDGER_WEBHOOKS_SECRETS_KEY is key " + KEY.fingerprint() + ", no previous key is set): "
                            + "webhook_endpoints:" + underOther.id() + " is under key " + other.fingerprint() + ".");
            assertThat(stored("we_legacy")).as("rolled back").isEqualTo(clear);
            assertThatThrownBy(() -> h.endpoints.find("mer_a", underOther.id()).block(WAIT))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("encrypted under key " + other.fingerprint());
        }

        @Test
        void a_value_that_is_no_secret_or_from_a_newer_format_refuses_the_start() {
            insertInClear("we_garbled", "mer_a", receiver.url("/a"), "not-a-secret", null);
            insertInClear("we_newer", "mer_a", receiver.url("/b"), "v3:00000000:AAAA", null);

            assertThatThrownBy(() -> startUp(CIPHER))
                    .isInstanceOf(SecretsAtRest.KeyMismatch.class)
                    .hasMessageContaining("2 stored webhook secrets cannot be read")
                    .hasMessageContaining("webhook_endpoints:we_garbled is not a whsec_ secret")
                    .hasMessageContaining("webhook_endpoints:we_newer is stored in format v3");
        }
    }

    @Nested
    class KeyChange {

        @Test
        void with_the_old_key_as_previous_start_up_seals_everything_again_under_the_new_one_and_the_old_key_can_go() {
            SecretsCipher old = new SecretsCipher(SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", OLD_KEY_BASE64));
            var endpointsUnderOld = new WebhookEndpoints(h.pool, old);
            var created = (WebhookEndpoints.Creation.Created) endpointsUnderOld.create("mer_a", receiver.url("/hook"), List.of("*"),
                    null, Instant.now(), idempotencyKey("create-1"), SecretsAtRestTest::render).block(WAIT);
            var rotated = endpointsUnderOld.rotateSecret("mer_a", created.endpoint().id(), Duration.ofHours(24)).block(WAIT);
            SecretsCipher changing = new SecretsCipher(KEY,
                    SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS", OLD_KEY_BASE64));

            assertThat(startUp(changing)).isEqualTo(new SecretsAtRest.Outcome(1, 1));

            Stored stored = stored(created.endpoint().id());
            assertThat(stored.secret()).startsWith(CIPHER.currentPrefix());
            assertThat(stored.previousSecret()).startsWith(CIPHER.currentPrefix());
            assertThat(storedResponse("mer_a", "create-1")).startsWith(CIPHER.currentPrefix());
            // The new key alone now reads everything, unchanged; the old key alone reads nothing.
            assertThat(startUp(CIPHER)).isEqualTo(new SecretsAtRest.Outcome(0, 0));
            var found = h.endpoints.find("mer_a", created.endpoint().id()).block(WAIT);
            assertThat(found.secret()).isEqualTo(rotated.secret());
            assertThat(found.previousSecret()).isEqualTo(created.endpoint().secret());
            var retried = h.endpoints.create("mer_a", receiver.url("/hook"), List.of("*"), null, Instant.now(),
                    idempotencyKey("create-1"), SecretsAtRestTest::render).block(WAIT);
            assertThat(((WebhookEndpoints.Creation.Stored) retried).responseBody()).isEqualTo(created.responseBody());
            assertThatThrownBy(() -> endpointsUnderOld.find("mer_a", created.endpoint().id()).block(WAIT))
                    .hasMessageContaining("encrypted under key " + KEY.fingerprint());
        }
    }
}
