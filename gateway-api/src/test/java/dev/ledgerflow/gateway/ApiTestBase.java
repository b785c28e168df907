package dev.ledgerflow.gateway;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Base of the full-HTTP tests: the service on a random port over real PostgreSQL and Redis. */
@ApiTest
public abstract class ApiTestBase {

    @Autowired
    protected WebTestClient http;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        TestServers.register(registry);
    }
}
