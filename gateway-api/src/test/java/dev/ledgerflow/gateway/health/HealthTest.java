package dev.ledgerflow.gateway.health;

import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.testing.EmbeddedRedisServer;
import dev.ledgerflow.testing.TestPostgres;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.reactive.server.WebTestClient;

class HealthTest {

    @Nested
    class WithEveryServerUp extends ApiTestBase {

        @Test
        void health_is_up_with_postgres_and_redis_up() {
            http.get().uri("/actuator/health").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("UP")
                    .jsonPath("$.components.postgres.status").isEqualTo("UP")
                    .jsonPath("$.components.redis.status").isEqualTo("UP")
                    .jsonPath("$.components.kafka").doesNotExist(); // the relay is off without LEDGER_KAFKA_BOOTSTRAP
        }

        @Test
        void an_anonymous_caller_gets_the_status_and_nothing_else() {
            for (String path : new String[] {"/actuator/health", "/actuator/health/status"}) {
                http.get().uri(path).exchange()
                        .expectStatus().isOk()
                        .expectBody().json("{\"status\":\"UP\"}", JsonCompareMode.STRICT);
            }
        }

        @Test
        void the_admin_key_gets_the_components_versions_and_disk() {
            http.get().uri("/actuator/health").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("UP")
                    .jsonPath("$.components.postgres.details.version").isNotEmpty()
                    .jsonPath("$.components.diskSpace.details.path").isNotEmpty()
                    .jsonPath("$.components.redis.status").isEqualTo("UP");
            http.get().uri("/actuator/health/postgres").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.details.version").isNotEmpty();
        }

        @Test
        void a_component_or_another_key_is_401_and_shows_nothing() {
            http.get().uri("/actuator/health/postgres").exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody()
                    .jsonPath("$.code").isEqualTo("unauthenticated")
                    .jsonPath("$.details").doesNotExist();
            http.get().uri("/actuator/health").header(HttpHeaders.AUTHORIZATION, "Bearer sk_not_the_admin_key").exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.components").doesNotExist();
        }
    }

    @Nested
    @ApiTest
    @DirtiesContext // its Redis is stopped after the class: the service is closed, not left cached and retrying
    class WithRedisDown {

        private static EmbeddedRedisServer redis;

        @Autowired
        WebTestClient http;

        @DynamicPropertySource
        static void servers(DynamicPropertyRegistry registry) throws Exception {
            redis = EmbeddedRedisServer.start(Files.createTempDirectory("redis-down"), false, 0);
            String postgresUrl = TestPostgres.freshDatabase().url();
            registry.add("ledger.postgres-url", () -> postgresUrl);
            registry.add("ledger.redis-url", redis::url);
        }

        @AfterAll
        static void stopRedis() {
            redis.close();
        }

        @Test
        void health_is_down_when_redis_does_not_answer() {
            http.get().uri("/actuator/health").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.components.redis.status").isEqualTo("UP");

            redis.close();

            http.get().uri("/actuator/health").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange()
                    .expectStatus().isEqualTo(503)
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("DOWN")
                    .jsonPath("$.components.redis.status").isEqualTo("DOWN")
                    .jsonPath("$.components.postgres.status").isEqualTo("UP");
            http.get().uri("/actuator/health").exchange()
                    .expectStatus().isEqualTo(503)
                    .expectBody().json("{\"status\":\"DOWN\"}", JsonCompareMode.STRICT);
        }
    }
}
