package dev.ledgerflow.gateway;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;

/**
 * A full-HTTP test of the whole service on a random port, against real PostgreSQL and Redis: each
 * test class gets its own fresh database. Extend {@link ApiTestBase}, or
 * call {@link TestServers#register} from a {@code @DynamicPropertySource} method.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"ledger.admin-key=" + ApiTest.ADMIN_KEY, "ledger.webhooks.secrets.key=" + ApiTest.WEBHOOK_SECRETS_KEY,
            "ledger.api-keys.hash-key=" + ApiTest.API_KEYS_HASH_KEY})
@AutoConfigureWebTestClient
public @interface ApiTest {

    String ADMIN_KEY = "ak_test_admin_key";
    /** The tests' key of webhook secrets at rest (base64 of 32 bytes). */
    String WEBHOOK_SECRETS_KEY = "dGVzdC13ZWJob29rLXNlY3JldHMta2V5LTMyLWJ5dGU=";
    /** The tests' server secret of the API keys' keyed hash. */
    String API_KEYS_HASH_KEY = "test-api-keys-hash-key-0123456789";
}
