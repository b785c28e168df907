package dev.ledgerflow.gateway.cluster;

import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.cluster.LeaseStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.LedgerflowApplication;
import dev.ledgerflow.delivery.kafka.KafkaFeed;
import dev.ledgerflow.testing.TestPostgres;
import dev.ledgerflow.testing.TestRedis;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Instances of the whole service, each its own Spring context on its own port, all on one fresh
 * database and the test Redis: a cluster in one JVM. An instance can leave gracefully ({@link
 * Instance#stop()}) or crash ({@link Instance#crash()}: its heartbeats stop and it gives nothing back).
 */
final class TestCluster implements AutoCloseable {

    static final Duration LEASE_TTL = Duration.ofSeconds(3);
    static final Duration HEARTBEAT = Duration.ofSeconds(1);

    final PostgresSettings database = TestPostgres.freshDatabase();
    final List<Instance> instances = new CopyOnWriteArrayList<>();
    private final List<String> properties;

    TestCluster(String... properties) {
        this.properties = List.of(properties);
    }

    /** One instance of the service. */
    final class Instance {
        final String name;
        final ConfigurableApplicationContext context;
        final WebClient http;
        /** Kept: the counters of an instance that stopped still tell what it did. */
        final MeterRegistry registry;
        volatile boolean running = true;

        Instance(String name, ConfigurableApplicationContext context) {
            this.name = name;
            this.context = context;
            this.registry = context.getBean(MeterRegistry.class);
            // A connection pool and event loops of its own: closing an instance must not close them.
            HttpClient client = HttpClient.create(ConnectionProvider.create("test-cluster-" + name, 64))
                    .runOn(LoopResources.create("test-cluster-" + name, 2, true));
            this.http = WebClient.builder().clientConnector(new ReactorClientHttpConnector(client)).baseUrl("http://localhost:" + context.getEnvironment().getProperty("local.server.port"))
                    .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
                    .build();
        }

        <T> T bean(Class<T> type) {
            return context.getBean(type);
        }

        /** A counter of this instance's Prometheus registry (readable after it stopped). */
        double counter(String name) {
            var counter = registry.find(name).functionCounter();
            return counter == null ? 0 : counter.count();
        }

        /** Leaves: stops its consumers, saves their places, gives its leases back. */
        void stop() {
            running = false;
            context.close();
        }

        /**
         * Crashes, as far as the others can tell: its heartbeats stop and it releases no lease (they
         * expire) nor Kafka partition (the group's session times out), then the context goes away.
         */
        void crash() {
            running = false;
            context.getBean(LeaseCoordinator.class).halt();
            // In the Kafka consumer-group mode: its members stop polling and heartbeating without leaving the groups.
            context.getBeansOfType(KafkaFeed.class).values().forEach(KafkaFeed::halt);
            context.close();
        }
    }

    Instance start(String name, String... more) {
        List<String> arguments = new ArrayList<>(List.of("--server.port=0", "--ledger.postgres-url=" + database.url(),
                "--ledger.redis-url=" + TestRedis.url(), "--ledger.admin-key=" + ApiTest.ADMIN_KEY,
                "--ledger.webhooks.secrets.key=" + ApiTest.WEBHOOK_SECRETS_KEY,
                "--ledger.api-keys.hash-key=" + ApiTest.API_KEYS_HASH_KEY,
                "--ledger.webhooks.allow-private-destinations=true",
                "--ledger.cluster.instance-id=" + name,
                "--ledger.cluster.lease-ttl=" + LEASE_TTL.toMillis() + "ms",
                "--ledger.cluster.heartbeat-interval=" + HEARTBEAT.toMillis() + "ms"));
        properties.forEach(property -> arguments.add("--" + property));
        for (String property : more) {
            arguments.add("--" + property);
        }
        // Each instance with reactor-netty resources of its own: by default every context of the JVM shares
        // the global ones and the first to close disposes them, under the others' servers and clients (in
        // production one process is one instance).
        Instance instance = new Instance(name, new SpringApplicationBuilder(LedgerflowApplication.class)
                .initializers(context -> ((GenericApplicationContext) context).registerBean(ReactorResourceFactory.class, () -> {
                    ReactorResourceFactory resources = new ReactorResourceFactory();
                    resources.setUseGlobalResources(false);
                    resources.setShutdownQuietPeriod(Duration.ZERO); // as spring.reactor.netty.shutdown-quiet-period in the tests' pom
                    return resources;
                }))
                .run(arguments.toArray(String[]::new)));
        instances.add(instance);
        return instance;
    }

    List<Instance> live() {
        return instances.stream().filter(instance -> instance.running).toList();
    }

    Instance live(int index) {
        List<Instance> live = live();
        return live.get(Math.floorMod(index, live.size()));
    }

    /** Who owns each partition of {@code group} now, by a live lease (null: nobody). */
    Map<Integer, String> owners(String group) {
        LeaseStore store = live(0).bean(LeaseStore.class);
        Map<Integer, String> owners = new java.util.TreeMap<>();
        store.leases().filter(row -> row.group().equals(group)).doOnNext(row -> {
            boolean fresh = row.owner() != null && row.heartbeatAt() != null
                    && row.heartbeatAt().plus(LEASE_TTL).isAfter(row.now());
            owners.put(row.partition(), fresh ? row.owner() : null);
        }).blockLast(Duration.ofSeconds(30));
        return owners;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> post(WebClient http, String key, String path, String json) {
        return http.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json)
                .retrieve().bodyToMono(Map.class).block(Duration.ofSeconds(60));
    }

    @SuppressWarnings("unchecked")
    static Mono<Map<String, Object>> postAsync(WebClient http, String key, String path, String json) {
        return http.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json)
                .retrieve().bodyToMono(Map.class).map(body -> (Map<String, Object>) body);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> get(WebClient http, String key, String path) {
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .retrieve().bodyToMono(Map.class).block(Duration.ofSeconds(60));
    }

    /** A merchant created through the first live instance: its id and API key. */
    record Merchant(String id, String key) {}

    Merchant newMerchant() {
        Map<String, Object> created = post(live(0).http, ApiTest.ADMIN_KEY, "/v1/merchants", "{\"name\":\"Cluster merchant\"}");
        return new Merchant((String) created.get("id"), (String) created.get("api_key"));
    }

    /** One number from the database, by SQL. */
    long count(String sql) {
        try (Connection jdbc = DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
                Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public void close() {
        live().forEach(instance -> {
            try {
                instance.stop();
            } catch (RuntimeException e) {
                // closing the rest matters more
            }
        });
    }
}
