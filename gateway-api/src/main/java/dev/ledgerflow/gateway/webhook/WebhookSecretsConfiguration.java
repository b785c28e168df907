package dev.ledgerflow.gateway.webhook;

import dev.ledgerflow.delivery.webhook.SecretsAtRest;
import dev.ledgerflow.delivery.webhook.SecretsCipher;
import dev.ledgerflow.delivery.webhook.SecretsKey;
import io.r2dbc.pool.ConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Webhook secrets at rest: the service key, and the start-up step that puts every stored secret under
 * it. The service does not start without a key, nor with secrets stored under a key it lacks: better
 * than running without being able to sign, or signing with garbage. Everything that reads or writes
 * secrets depends on the {@link SecretsCipher} bean, so nothing does before the step has run.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WebhookSecretsProperties.class)
class WebhookSecretsConfiguration {

    private static final Logger log = LoggerFactory.getLogger(WebhookSecretsConfiguration.class);

    @Bean
    SecretsCipher webhookSecretsCipher(WebhookSecretsProperties properties, ConnectionPool pool) {
        SecretsCipher cipher = cipher(properties);
        SecretsAtRest.Outcome outcome;
        try {
            // Start-up, not a reactive chain: nothing may read or write a secret before this is done.
            outcome = new SecretsAtRest(pool, cipher).sealAll().block();
        } catch (SecretsAtRest.KeyMismatch e) {
            throw new IllegalStateException("Refusing to start: " + e.getMessage() + " The previous key is "
                    + WebhookSecretsProperties.KEY_PREVIOUS_VARIABLE + ".", e);
        }
        if (outcome.endpoints() > 0 || outcome.responses() > 0) {
            log.info("Webhook secrets at rest: sealed the secrets of {} endpoints and {} stored create responses under {}",
                    outcome.endpoints(), outcome.responses(), cipher.currentKey());
        } else {
            log.info("Webhook secrets at rest: all stored under {}", cipher.currentKey());
        }
        cipher.previousKey().ifPresent(previous -> log.info("{} is set; every stored secret is now under {}: remove it"
                + " once every instance runs with this key", previous, cipher.currentKey()));
        return cipher;
    }

    static SecretsCipher cipher(WebhookSecretsProperties properties) {
        if (properties.key() == null || properties.key().isBlank()) {
            throw new IllegalStateException(WebhookSecretsProperties.KEY_VARIABLE + " is not set. Webhook signing secrets are"
                    + " stored encrypted (Tink AEAD, AES-256-GCM) under it: set it to the base64 of 32 random bytes, e.g. the output of"
                    + " `openssl rand -base64 32`, the same on every instance, and keep it safe: without it no stored secret"
                    + " can be read. The embedded default (./mvnw -pl gateway-api -am spring-boot:test-run) generates one"
                    + " in .data/ (see docs/webhooks.md).");
        }
        SecretsKey current = SecretsKey.parse(WebhookSecretsProperties.KEY_VARIABLE, properties.key());
        SecretsKey previous = properties.keyPrevious() == null || properties.keyPrevious().isBlank()
                ? null
                : SecretsKey.parse(WebhookSecretsProperties.KEY_PREVIOUS_VARIABLE, properties.keyPrevious());
        return new SecretsCipher(current, previous);
    }
}
