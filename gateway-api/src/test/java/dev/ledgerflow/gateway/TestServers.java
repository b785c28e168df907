package dev.ledgerflow.gateway;

import dev.ledgerflow.testing.TestPostgres;
import dev.ledgerflow.testing.TestRedis;
import org.springframework.test.context.DynamicPropertyRegistry;

/** Points a test's service at a fresh database on the test PostgreSQL and at the test Redis. */
public final class TestServers {

    private TestServers() {}

    public static void register(DynamicPropertyRegistry registry) {
        String postgresUrl = TestPostgres.freshDatabase().url();
        registry.add("ledger.postgres-url", () -> postgresUrl);
        registry.add("ledger.redis-url", TestRedis::url);
    }
}
