package dev.ledgerflow.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.LedgerflowApplication;
import dev.ledgerflow.delivery.webhook.SecretsCipher;
import dev.ledgerflow.delivery.webhook.SecretsKey;
import dev.ledgerflow.delivery.webhook.WebhookEndpoints;
import dev.ledgerflow.testing.TestPostgres;
import dev.ledgerflow.testing.TestRedis;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import reactor.core.publisher.Mono;

/**
 * The service and its key of webhook secrets at rest: no key, or secrets stored under a key it does
 * not have, and it refuses to start, saying why; with the old key as the previous one it starts and
 * puts every secret under the new key.
 */
class WebhookSecretsStartupTest {

    static final String OLD_KEY = SecretsKey.newKeyBase64();
    static final String NEW_KEY = SecretsKey.newKeyBase64();

    static ConfigurableApplicationContext start(PostgresSettings database, String... properties) {
        // Command-line arguments: they outrank application.yaml and the environment of whoever runs the tests.
        List<String> arguments = new ArrayList<>(List.of("--server.port=0", "--ledger.postgres-url=" + database.url(),
                "--ledger.redis-url=" + TestRedis.url(), "--ledger.admin-key=" + ApiTest.ADMIN_KEY,
                "--ledger.api-keys.hash-key=" + ApiTest.API_KEYS_HASH_KEY));
        for (String property : properties) {
            arguments.add("--" + property);
        }
        return new SpringApplicationBuilder(LedgerflowApplication.class).run(arguments.toArray(String[]::new));
    }

    /** An endpoint whose secret is sealed under {@code key}, written as a running instance would. */
    static WebhookEndpoints.Endpoint endpointUnder(PostgresSettings database, String key) {
        ConnectionPool pool = PostgresConnections.pooled(database, "webhook-secrets-startup-test", 2);
        try {
            var endpoints = new WebhookEndpoints(pool, new SecretsCipher(SecretsKey.parse("key", key)));
            return endpoints.create("mer_a", "https://example.test/hook", List.of("*"), null, Instant.now())
                    .block(Duration.ofSeconds(10));
        } finally {
            pool.dispose();
        }
    }

    static String storedSecret(PostgresSettings database, String endpointId) {
        ConnectionPool pool = PostgresConnections.pooled(database, "webhook-secrets-startup-test", 2);
        try {
            return Mono.usingWhen(pool.create(),
                            c -> Mono.from(c.createStatement("select secret from webhook_endpoints where id = $1")
                                            .bind(0, endpointId).execute())
                                    .flatMap(result -> Mono.from(result.map(row -> row.get("secret", String.class)))),
                            c -> c.close())
                    .block(Duration.ofSeconds(10));
        } finally {
            pool.dispose();
        }
    }

    @Test
    void without_a_key_the_service_does_not_start_and_says_how_to_make_one() {
        assertThatThrownBy(() -> start(TestPostgres.freshDatabase(), "ledger.webhooks.secrets.key=").close())
                .hasStackTraceContaining("LEDGER_WEBHOOKS_SECRETS_KEY is not set")
                .hasStackTraceContaining("openssl rand -base64 32");
    }

    @Test
    void with_secrets_stored_under_another_key_the_service_does_not_start_and_names_that_keys_fingerprint() {
        PostgresSettings database = TestPostgres.freshDatabase();
        var endpoint = endpointUnder(database, OLD_KEY);

        assertThatThrownBy(() -> start(database, "ledger.webhooks.secrets.key=" + NEW_KEY).close())
                .hasStackTraceContaining("Refusing to start: 1 stored webhook secret cannot be read with the configured keys"
                        + " (LEDGER_WEBHOOKS_SECRETS_KEY is key " + SecretsKey.parse("new", NEW_KEY).fingerprint()
                        + ", no previous key is set): webhook_endpoints:" + endpoint.id() + " is under key "
                        + SecretsKey.parse("old", OLD_KEY).fingerprint() + ".")
                .hasStackTraceContaining("LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS");
    }

    @Test
    void with_the_old_key_as_the_previous_one_the_service_starts_and_puts_the_secrets_under_the_new_key() {
        PostgresSettings database = TestPostgres.freshDatabase();
        var endpoint = endpointUnder(database, OLD_KEY);

        try (var context = start(database, "ledger.webhooks.secrets.key=" + NEW_KEY,
                "ledger.webhooks.secrets.key-previous=" + OLD_KEY)) {
            String stored = storedSecret(database, endpoint.id());

            assertThat(stored).startsWith("v2:" + SecretsKey.parse("new", NEW_KEY).fingerprint() + ":");
            assertThat(context.getBean(WebhookEndpoints.class).find("mer_a", endpoint.id()).block(Duration.ofSeconds(10)).secret())
                    .isEqualTo(endpoint.secret());
        }
    }

    @Test
    void the_keys_are_read_from_the_environment_variables_the_docs_name() {
        var environment = new SystemEnvironmentPropertySource("systemEnvironment",
                Map.<String, Object>of("LEDGER_WEBHOOKS_SECRETS_KEY", NEW_KEY, "LEDGER_WEBHOOKS_SECRETS_KEY_PREVIOUS", OLD_KEY));

        var bound = new Binder(ConfigurationPropertySources.from(environment))
                .bind("ledger.webhooks.secrets", WebhookSecretsProperties.class).get();

        assertThat(bound.key()).isEqualTo(NEW_KEY);
        assertThat(bound.keyPrevious()).isEqualTo(OLD_KEY);
        assertThat(bound.toString()).doesNotContain(NEW_KEY).doesNotContain(OLD_KEY);
    }
}
