package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Sealing of webhook secrets (Tink AEAD, AES-256-GCM): round trip, stored form, the first format still
 * read, tamper detection, nonces, keys.
 */
class SecretsCipherTest {

    static final String KEY_BASE64 = SecretsKey.newKeyBase64();
    static final SecretsKey KEY = SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", KEY_BASE64);
    static final SecretsKey OTHER_KEY = SecretsKey.generate("LEDGER_WEBHOOKS_SECRETS_KEY");
    static final String CONTEXT = "webhook_endpoints:we_1";

    final SecretsCipher cipher = new SecretsCipher(KEY);
    final String secret = WebhookSecrets.newSecret();

    @Nested
    class Sealing {

        @Test
        void a_sealed_secret_opens_to_the_same_secret() {
            String sealed = cipher.seal(secret, CONTEXT);

            assertThat(cipher.open(sealed, CONTEXT)).isEqualTo(secret);
        }

        @Test
        void the_stored_form_is_versioned_names_the_key_and_does_not_contain_the_secret() {
            String sealed = cipher.seal(secret, CONTEXT);

            assertThat(sealed).matches("v2:[0-9a-f]{8}:[A-Za-z0-9+/]+=*")
                    .startsWith("v2:" + KEY.fingerprint() + ":")
                    .doesNotContain(secret)
                    .doesNotContain(secret.substring(WebhookSecrets.PREFIX.length()));
            byte[] stored = Base64.getDecoder().decode(sealed.substring(sealed.lastIndexOf(':') + 1));
            assertThat(stored).hasSize(5 + 12 + secret.length() + 16); // Tink's prefix, nonce, ciphertext, tag
            // Tink's prefix: its version byte, then the key's id, which is the fingerprint.
            assertThat(stored[0]).isEqualTo((byte) 1);
            assertThat(HexFormat.of().formatHex(stored, 1, 5)).isEqualTo(KEY.fingerprint());
            assertThat(cipher.isCurrent(sealed)).isTrue();
        }

        @Test
        void the_ciphertext_is_tinks_prefix_then_plain_aes_gcm_with_the_format_and_context_as_associated_data() throws Exception {
            String sealed = cipher.seal(secret, CONTEXT);
            byte[] stored = Base64.getDecoder().decode(sealed.substring(sealed.lastIndexOf(':') + 1));

            // Opened with the JDK's AES-GCM and the key's bytes, not with the code under test.
            Cipher aesGcm = Cipher.getInstance("AES/GCM/NoPadding");
            aesGcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(KEY_BASE64), "AES"),
                    new GCMParameterSpec(128, stored, 5, 12));
            aesGcm.updateAAD(("v2:" + CONTEXT).getBytes(StandardCharsets.UTF_8));
            byte[] plaintext = aesGcm.doFinal(stored, 5 + 12, stored.length - 5 - 12);

            assertThat(new String(plaintext, StandardCharsets.UTF_8)).isEqualTo(secret);
        }

        @Test
        void every_value_gets_a_fresh_nonce_so_the_same_secret_never_seals_the_same_way_twice() {
            Set<String> nonces = new HashSet<>();
            Set<String> values = new HashSet<>();
            for (int i = 0; i < 2_000; i++) {
                String sealed = cipher.seal(secret, CONTEXT);
                values.add(sealed);
                byte[] stored = Base64.getDecoder().decode(sealed.substring(sealed.lastIndexOf(':') + 1));
                nonces.add(Arrays.toString(Arrays.copyOfRange(stored, 5, 5 + 12)));
            }

            assertThat(nonces).hasSize(2_000);
            assertThat(values).hasSize(2_000);
        }

        @Test
        void a_value_in_clear_from_an_earlier_version_opens_as_it_is_and_is_not_current() {
            assertThat(cipher.open(secret, CONTEXT)).isEqualTo(secret);
            assertThat(cipher.isCurrent(secret)).isFalse();
        }

        @Test
        void a_value_of_the_first_format_sealed_by_an_independent_aes_gcm_implementation_opens_and_is_not_current() {
            // Made with Python's `cryptography` (AESGCM): key bytes 0..31, nonce bytes 100..111,
            // associated data "v1:webhook_endpoints:we_vector". Pins the first format and the fingerprint.
            SecretsKey key = SecretsKey.parse("vector key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
            String stored = "v1:77506162:ZGVmZ2hpamtsbW5vP3OtAxq2G/h1M2aa4iIhpDOwUn3hOaM2n5jgGKHqynrYiAyhH2UUdF8hOuTS2aTAGrAc9+ae";

            assertThat(key.fingerprint()).isEqualTo("77506162");
            assertThat(new SecretsCipher(key).open(stored, "webhook_endpoints:we_vector"))
                    .isEqualTo("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
            assertThat(new SecretsCipher(key).isCurrent(stored)).as("start-up seals it again in the current format").isFalse();
        }

        @Test
        void a_value_of_the_first_format_under_the_previous_key_opens_during_a_key_change() {
            SecretsKey key = SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
            String stored = "v1:77506162:ZGVmZ2hpamtsbW5vP3OtAxq2G/h1M2aa4iIhpDOwUn3hOaM2n5jgGKHqynrYiAyhH2UUdF8hOuTS2aTAGrAc9+ae";

            assertThat(new SecretsCipher(KEY, key).open(stored, "webhook_endpoints:we_vector"))
                    .isEqualTo("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
            assertThatThrownBy(() -> new SecretsCipher(KEY, key).open(stored, "webhook_endpoints:we_other"))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("does not decrypt under key 77506162");
        }
    }

    @Nested
    class TamperDetection {

        @Test
        void changing_any_byte_of_nonce_ciphertext_or_tag_is_detected() {
            String sealed = cipher.seal(secret, CONTEXT);
            String prefix = sealed.substring(0, sealed.lastIndexOf(':') + 1);
            byte[] stored = Base64.getDecoder().decode(sealed.substring(prefix.length()));

            for (int i = 0; i < stored.length; i++) {
                byte[] altered = stored.clone();
                altered[i] ^= 0x01;
                String tampered = prefix + Base64.getEncoder().encodeToString(altered);
                assertThatThrownBy(() -> cipher.open(tampered, CONTEXT)).as("byte %d altered", i)
                        .isInstanceOf(SecretsCipher.Unreadable.class)
                        .hasMessageContaining("does not decrypt under key " + KEY.fingerprint());
            }
        }

        @Test
        void a_value_moved_to_another_row_does_not_decrypt() {
            String sealed = cipher.seal(secret, "webhook_endpoints:we_1");

            assertThatThrownBy(() -> cipher.open(sealed, "webhook_endpoints:we_2"))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("webhook_endpoints:we_2")
                    .hasMessageContaining("copied from another row");
        }

        @Test
        void a_truncated_or_malformed_value_is_refused_not_returned() {
            String sealed = cipher.seal(secret, CONTEXT);

            assertThatThrownBy(() -> cipher.open(sealed.substring(0, 30), CONTEXT)).isInstanceOf(SecretsCipher.Unreadable.class);
            for (String format : List.of("v1", "v2")) {
                assertThatThrownBy(() -> cipher.open(format + ":" + KEY.fingerprint(), CONTEXT)).isInstanceOf(SecretsCipher.Unreadable.class);
                assertThatThrownBy(() -> cipher.open(format + ":" + KEY.fingerprint() + ":not*base64", CONTEXT))
                        .isInstanceOf(SecretsCipher.Unreadable.class);
                assertThatThrownBy(() -> cipher.open(format + ":" + KEY.fingerprint() + ":AAAA", CONTEXT))
                        .isInstanceOf(SecretsCipher.Unreadable.class);
            }
        }

        @Test
        void a_value_under_a_key_that_is_not_configured_fails_naming_both_keys() {
            String sealed = new SecretsCipher(OTHER_KEY).seal(secret, CONTEXT);

            assertThatThrownBy(() -> cipher.open(sealed, CONTEXT))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("encrypted under key " + OTHER_KEY.fingerprint())
                    .hasMessageContaining("LEDGER_WEBHOOKS_SECRETS_KEY is key " + KEY.fingerprint())
                    .satisfies(e -> assertThat(((SecretsCipher.Unreadable) e).fingerprint()).isEqualTo(OTHER_KEY.fingerprint()));
        }

        @Test
        void relabelling_a_value_with_the_configured_keys_fingerprint_does_not_make_it_decrypt() {
            String sealed = new SecretsCipher(OTHER_KEY).seal(secret, CONTEXT);
            String relabelled = "v2:" + KEY.fingerprint() + sealed.substring(("v2:" + OTHER_KEY.fingerprint()).length());

            assertThatThrownBy(() -> cipher.open(relabelled, CONTEXT))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("does not decrypt");
        }

        @Test
        void a_format_this_version_does_not_know_is_refused() {
            assertThatThrownBy(() -> cipher.open("v3:" + KEY.fingerprint() + ":AAAA", CONTEXT))
                    .isInstanceOf(SecretsCipher.Unreadable.class)
                    .hasMessageContaining("format v3");
        }
    }

    @Nested
    class KeyChange {

        @Test
        void values_under_the_previous_key_still_open_and_new_ones_go_under_the_current_key() {
            String underOld = new SecretsCipher(OTHER_KEY).seal(secret, CONTEXT);
            SecretsCipher changing = new SecretsCipher(KEY, OTHER_KEY);

            assertThat(changing.open(underOld, CONTEXT)).isEqualTo(secret);
            assertThat(changing.isCurrent(underOld)).isFalse();
            assertThat(changing.seal(secret, CONTEXT)).startsWith("v2:" + KEY.fingerprint() + ":");
        }
    }

    @Nested
    class Keys {

        @Test
        void a_key_is_the_base64_of_32_bytes_in_either_alphabet_with_or_without_padding() {
            byte[] bytes = new byte[32];
            Arrays.fill(bytes, (byte) 0xfb); // encodes with '+' / '-' and '/' / '_'
            String standard = Base64.getEncoder().encodeToString(bytes);
            String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);

            SecretsKey a = SecretsKey.parse("k", standard);
            SecretsKey b = SecretsKey.parse("k", urlSafe);
            SecretsKey c = SecretsKey.parse("k", " " + standard + "\n");

            assertThat(a.fingerprint()).isEqualTo(b.fingerprint()).isEqualTo(c.fingerprint()).matches("[0-9a-f]{8}");
            assertThat(KEY.fingerprint()).isNotEqualTo(OTHER_KEY.fingerprint());
        }

        @Test
        void anything_else_is_refused_naming_the_variable_but_never_echoing_the_value() {
            String short16 = Base64.getEncoder().encodeToString(new byte[16]);

            assertThatThrownBy(() -> SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", short16))
                    .hasMessageContaining("LEDGER_WEBHOOKS_SECRETS_KEY decodes to 16 bytes")
                    .hasMessageNotContaining(short16);
            assertThatThrownBy(() -> SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", "not base64 at all!"))
                    .hasMessageContaining("LEDGER_WEBHOOKS_SECRETS_KEY is not base64")
                    .hasMessageNotContaining("not base64 at all!");
            assertThatThrownBy(() -> SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", " "))
                    .hasMessageContaining("LEDGER_WEBHOOKS_SECRETS_KEY is empty");
        }

        @Test
        void a_key_prints_its_label_and_fingerprint_only() {
            String base64 = SecretsKey.newKeyBase64();

            assertThat(SecretsKey.parse("LEDGER_WEBHOOKS_SECRETS_KEY", base64).toString())
                    .isEqualTo("LEDGER_WEBHOOKS_SECRETS_KEY (key " + SecretsKey.parse("x", base64).fingerprint() + ")")
                    .doesNotContain(base64);
        }
    }
}
