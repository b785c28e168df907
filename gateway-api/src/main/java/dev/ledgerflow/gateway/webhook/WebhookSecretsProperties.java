package dev.ledgerflow.gateway.webhook;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The keys webhook signing secrets are encrypted under at rest, bound from {@code ledger.webhooks.secrets.*}
 * or the environment variables {@code LEDGER_WEBHOOKS_SECRETS_KEY} and {@code LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS}.
 *
 * @param key the base64 of 32 random bytes (AES-256); required, the same on every instance
 * @param keyPrevious the key before a key change: values under it still open, and are sealed again
 *     under {@code key} at start-up; remove it once an instance has started with both
 */
@ConfigurationProperties("ledger.webhooks.secrets")
public record WebhookSecretsProperties(String key, String keyPrevious) {

    /** The environment variable of {@link #key()}, as messages name it. */
    static final String KEY_VARIABLE = "LEDGER_WEBHOOKS_SECRETS_KEY";
    /** The environment variable of {@link #keyPrevious()}. */
    static final String KEY_PREVIOUS_VARIABLE = "LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS";

    /** Never the keys: a record prints its fields, and properties end up in logs. */
    @Override
    public String toString() {
        return "WebhookSecretsProperties[key=" + (key == null ? "unset" : "***") + ", keyPrevious="
                + (keyPrevious == null ? "unset" : "***") + "]";
    }
}
