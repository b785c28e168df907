package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.LedgerflowApplication;
import dev.ledgerflow.testing.TestPostgres;
import dev.ledgerflow.testing.TestRedis;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Generated bad input over every write endpoint: each try takes a valid request of one endpoint and
 * breaks it in exactly one way (its JSON, a field's type or value, its size, its content type or
 * charset, its id, its key, its headers), sends it over a plain socket to one running service, and
 * holds the answer to the API's promise: a 4xx RFC 9457 problem with a stable code, never a 2xx or a
 * 5xx, and nothing stored (events, merchants, webhook endpoints, deliveries and idempotency keys as
 * they were). The background consumers are off, so nothing else writes while it runs.
 *
 * <p>The requests come from {@link Gen}, seeded afresh each run. The seed is printed at the start and is
 * in every failure's message with the try's number and its request; {@code -Dledger.fuzz.seed=…} replays a
 * run, and with {@code -Dledger.fuzz.try=…} only that try (each try draws from its own generator, made
 * from the seed and its number, and no try stores anything, so one replays alone). At the end it prints
 * how the tries spread over endpoints and kinds of defect. Run alone:
 * {@code ./mvnw -pl gateway-api -am test -Dtest='MalformedRequestsPropertyTest' -Dsurefire.failIfNoSpecifiedTests=false}
 * (its output is in {@code gateway-api/target/surefire-reports/*MalformedRequestsPropertyTest-output.txt}).
 */
class MalformedRequestsPropertyTest {

    static final int TRIES = 1_500;
    static final long SEED = Long.getLong("ledger.fuzz.seed", ThreadLocalRandom.current().nextLong());
    /** Zero: every try; otherwise only this one (1 to {@link #TRIES}). */
    static final int ONLY_TRY = Integer.getInteger("ledger.fuzz.try", 0);
    private static final Gen<Character> ANY = Gen.chars('\u0000', '\uffff');
    private static final Gen<Character> ALPHA = Gen.chars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    private static final Gen<Character> ALPHANUMERIC = Gen.chars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static ConfigurableApplicationContext service;
    static PostgresSettings database;
    static Connection jdbc;
    static int port;
    static Fixture fixture;
    static final LongAdder sent = new LongAdder();
    static final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> endpoints = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> defects = new ConcurrentHashMap<>();

    /** The objects the requests are about: merchant A's (the caller's) and merchant B's (foreign ids). */
    record Fixture(String adminKey, String keyA, String keyB, String accountA, String accountA2, String paymentA,
            String endpointA, String accountB, String paymentB, String endpointB) {}

    @BeforeAll
    static void startService() {
        System.out.println("MalformedRequestsPropertyTest: seed " + SEED + " (replay with -Dledger.fuzz.seed=" + SEED + ")");
        database = TestPostgres.freshDatabase();
        service = LedgerflowApplication.start(new String[] {
            "--server.port=0",
            "--ledger.postgres-url=" + database.url(),
            "--ledger.redis-url=" + TestRedis.url(),
            "--ledger.admin-key=" + ApiTest.ADMIN_KEY,
            "--ledger.webhooks.secrets.key=" + ApiTest.WEBHOOK_SECRETS_KEY,
            "--ledger.api-keys.hash-key=" + ApiTest.API_KEYS_HASH_KEY,
            "--ledger.webhooks.allow-private-destinations=true",
            "--ledger.consumers.enabled=false",
        });
        port = Integer.parseInt(service.getEnvironment().getProperty("local.server.port"));
        try {
            jdbc = DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        String keyA = (String) created("POST", "/v1/merchants", ApiTest.ADMIN_KEY, "{\"name\":\"Fuzz A\"}").get("api_key");
        String keyB = (String) created("POST", "/v1/merchants", ApiTest.ADMIN_KEY, "{\"name\":\"Fuzz B\"}").get("api_key");
        String accountA = id(created("POST", "/v1/accounts", keyA, "{\"currency\":\"USD\"}"));
        String accountA2 = id(created("POST", "/v1/accounts", keyA, "{\"currency\":\"USD\"}"));
        created("POST", "/v1/accounts/" + accountA + "/deposits", keyA, "{\"amount\":100000}");
        String accountB = id(created("POST", "/v1/accounts", keyB, "{\"currency\":\"USD\"}"));
        String card = "\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\",\"exp_month\":12,\"exp_year\":2035,\"cvc\":\"123\"}";
        String paymentA = id(created("POST", "/v1/payments", keyA, "{\"amount\":1000,\"currency\":\"USD\",\"capture_method\":\"manual\"," + card + "}"));
        String paymentB = id(created("POST", "/v1/payments", keyB, "{\"amount\":1000,\"currency\":\"USD\"," + card + "}"));
        String hook = "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"*\"]}";
        String endpointA = id(created("POST", "/v1/webhook-endpoints", keyA, hook));
        String endpointB = id(created("POST", "/v1/webhook-endpoints", keyB, hook));
        fixture = new Fixture(ApiTest.ADMIN_KEY, keyA, keyB, accountA, accountA2, paymentA, endpointA, accountB, paymentB, endpointB);
    }

    @AfterAll
    static void stopService() {
        System.out.println("MalformedRequestsPropertyTest: seed " + SEED + ", " + sent.sum() + " malformed requests sent; answers by status: "
                + new TreeMap<>(statuses));
        printCounts("endpoint", endpoints);
        printCounts("defect", defects);
        try {
            if (jdbc != null) {
                jdbc.close();
            }
        } catch (SQLException e) {
            // closing anyway
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void every_malformed_write_is_answered_by_a_4xx_problem_with_a_code_and_stores_nothing() {
        Gen<Bad> malformed = malformed();
        for (int number = 1; number <= TRIES; number++) {
            if (ONLY_TRY != 0 && number != ONLY_TRY) {
                continue;
            }
            Bad bad = malformed.next(tryRandom(number));
            try {
                check(bad);
            } catch (AssertionError | Exception failed) {
                throw new AssertionError("seed " + SEED + ", try " + number + " of " + TRIES + " (replay it alone with -Dledger.fuzz.seed="
                        + SEED + " -Dledger.fuzz.try=" + number + "): " + bad + "\n" + failed.getMessage(), failed);
            }
        }
    }

    /** The generator of one try, made from the run's seed and the try's number only. */
    static RandomGenerator tryRandom(int number) {
        return new SplittableRandom(SEED ^ (number * 0x9E3779B97F4A7C15L));
    }

    static void check(Bad bad) throws Exception {
        endpoints.computeIfAbsent(bad.endpoint(), e -> new AtomicInteger()).incrementAndGet();
        defects.computeIfAbsent(defectKind(bad.defect()), d -> new AtomicInteger()).incrementAndGet();
        String before = stored();

        Response response = send(bad.request());

        sent.increment();
        statuses.computeIfAbsent(response.status(), s -> new AtomicInteger()).incrementAndGet();
        assertThat(response.status()).as("the status of %s", response).isBetween(400, 499);
        assertThat(response.header("content-type")).as("the content type of %s", response).startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.path("code").asString("")).as("the code of %s", response).isNotBlank();
        assertThat(problem.path("status").asInt()).as("the problem's status in %s", response).isEqualTo(response.status());
        assertThat(stored()).as("what is stored after %s", response).isEqualTo(before);
    }

    /** The defect without the value a field was given (which would make nearly every field defect a kind of its own). */
    static String defectKind(String defect) {
        int equals = defect.indexOf(" = ");
        return equals < 0 ? defect : defect.substring(0, equals) + " = a bad value";
    }

    /** Counts by label, most frequent first, with their share of the tries. */
    static void printCounts(String label, Map<String, AtomicInteger> counts) {
        long total = counts.values().stream().mapToLong(AtomicInteger::get).sum();
        StringBuilder table = new StringBuilder("MalformedRequestsPropertyTest: tries by " + label + "\n");
        counts.entrySet().stream()
                .sorted(Entry.<String, AtomicInteger>comparingByValue((a, b) -> Integer.compare(b.get(), a.get()))
                        .thenComparing(Entry.comparingByKey()))
                .forEach(entry -> table.append(String.format(Locale.ROOT, "  %-64s %5d (%5.1f %%)%n", entry.getKey(),
                        entry.getValue().get(), 100.0 * entry.getValue().get() / Math.max(1, total))));
        System.out.print(table);
    }

    // ---------------------------------------------------------------- the endpoints and their valid requests

    /** What a field holds, which decides how it can be broken. */
    enum Kind { FREE_TEXT, CODE, ID, AMOUNT, COUNT, MONTH, YEAR, POSITION, METADATA, EVENTS, OBJECT }

    record Field(String path, Kind kind, boolean required, int lengthMax) {}

    /** One write endpoint: how to call it validly, and the fields of its body. */
    record Endpoint(String name, String method, Function<Fixture, String> path, Function<Fixture, String> key,
            boolean admin, Function<Fixture, String> body, List<Field> fields, boolean readsIdempotencyKey,
            Function<Fixture, List<String>> foreignPaths, String idPrefix) {

        boolean hasBody() {
            return body != null;
        }
    }

    static Field field(String path, Kind kind, boolean required) {
        return new Field(path, kind, required, 0);
    }

    static Field text(String path, int lengthMax) {
        return new Field(path, Kind.FREE_TEXT, false, lengthMax);
    }

    static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("POST /v1/merchants", "POST", f -> "/v1/merchants", Fixture::adminKey, true,
                    f -> "{\"name\":\"Fuzzed merchant\"}", List.of(new Field("name", Kind.FREE_TEXT, true, 200)), false,
                    f -> List.of(), null),
            new Endpoint("POST /v1/accounts", "POST", f -> "/v1/accounts", Fixture::keyA, false,
                    f -> "{\"currency\":\"USD\",\"overdraft_limit\":0,\"metadata\":{\"owner\":\"ana\"}}",
                    List.of(field("currency", Kind.CODE, true), field("overdraft_limit", Kind.COUNT, false),
                            field("metadata", Kind.METADATA, false)), true, f -> List.of(), null),
            new Endpoint("POST /v1/accounts/{id}/deposits", "POST", f -> "/v1/accounts/" + f.accountA() + "/deposits",
                    Fixture::keyA, false, f -> "{\"amount\":100}", List.of(field("amount", Kind.AMOUNT, true)), true,
                    f -> List.of("/v1/accounts/" + f.accountB() + "/deposits", "/v1/accounts/" + f.paymentA() + "/deposits"), "acc_"),
            new Endpoint("POST /v1/transfers", "POST", f -> "/v1/transfers", Fixture::keyA, false,
                    f -> "{\"from_account\":\"" + f.accountA() + "\",\"to_account\":\"" + f.accountA2()
                            + "\",\"amount\":1,\"currency\":\"USD\",\"description\":\"rent\"}",
                    List.of(field("from_account", Kind.ID, true), field("to_account", Kind.ID, true),
                            field("amount", Kind.AMOUNT, true), field("currency", Kind.CODE, true), text("description", 1000)),
                    true, f -> List.of(), null),
            new Endpoint("POST /v1/payments", "POST", f -> "/v1/payments", Fixture::keyA, false,
                    f -> "{\"amount\":100,\"currency\":\"USD\",\"capture_method\":\"manual\",\"description\":\"order\","
                            + "\"metadata\":{\"order\":\"42\"},\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                            + "\"exp_month\":12,\"exp_year\":2035,\"cvc\":\"123\"}}",
                    List.of(field("amount", Kind.AMOUNT, true), field("currency", Kind.CODE, true),
                            field("capture_method", Kind.CODE, false), text("description", 1000),
                            field("metadata", Kind.METADATA, false), field("source", Kind.OBJECT, true),
                            field("source.type", Kind.CODE, true), field("source.number", Kind.CODE, true),
                            field("source.exp_month", Kind.MONTH, true), field("source.exp_year", Kind.YEAR, true),
                            field("source.cvc", Kind.CODE, true)),
                    true, f -> List.of(), null),
            new Endpoint("POST /v1/payments/{id}/capture", "POST", f -> "/v1/payments/" + f.paymentA() + "/capture",
                    Fixture::keyA, false, f -> "{\"amount\":500}", List.of(field("amount", Kind.AMOUNT, false)), true,
                    f -> List.of("/v1/payments/" + f.paymentB() + "/capture", "/v1/payments/" + f.accountA() + "/capture"), "pay_"),
            new Endpoint("POST /v1/payments/{id}/cancel", "POST", f -> "/v1/payments/" + f.paymentA() + "/cancel",
                    Fixture::keyA, false, null, List.of(), true,
                    f -> List.of("/v1/payments/" + f.paymentB() + "/cancel", "/v1/payments/" + f.endpointA() + "/cancel"), "pay_"),
            new Endpoint("POST /v1/payments/{id}/refunds", "POST", f -> "/v1/payments/" + f.paymentA() + "/refunds",
                    Fixture::keyA, false, f -> "{\"amount\":100,\"reason\":\"requested_by_customer\"}",
                    List.of(field("amount", Kind.AMOUNT, false), text("reason", 1000)), true,
                    f -> List.of("/v1/payments/" + f.paymentB() + "/refunds"), "pay_"),
            new Endpoint("POST /v1/webhook-endpoints", "POST", f -> "/v1/webhook-endpoints", Fixture::keyA, false,
                    f -> "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"payment.succeeded\"],\"description\":\"ops\"}",
                    List.of(field("url", Kind.CODE, true), field("events", Kind.EVENTS, true), field("events[0]", Kind.CODE, true),
                            text("description", 1000)),
                    true, f -> List.of(), null),
            new Endpoint("PATCH /v1/webhook-endpoints/{id}", "PATCH", f -> "/v1/webhook-endpoints/" + f.endpointA(),
                    Fixture::keyA, false, f -> "{\"description\":\"changed\",\"status\":\"enabled\"}",
                    List.of(field("description", Kind.FREE_TEXT, false), field("status", Kind.CODE, false)), false,
                    f -> List.of("/v1/webhook-endpoints/" + f.endpointB()), "we_"),
            new Endpoint("DELETE /v1/webhook-endpoints/{id}", "DELETE", f -> "/v1/webhook-endpoints/" + f.endpointA(),
                    Fixture::keyA, false, null, List.of(), false, f -> List.of("/v1/webhook-endpoints/" + f.endpointB()), "we_"),
            new Endpoint("POST /v1/webhook-endpoints/{id}/rotate-secret", "POST",
                    f -> "/v1/webhook-endpoints/" + f.endpointA() + "/rotate-secret", Fixture::keyA, false, null, List.of(), false,
                    f -> List.of("/v1/webhook-endpoints/" + f.endpointB() + "/rotate-secret"), "we_"),
            new Endpoint("POST /v1/webhook-endpoints/{id}/replay", "POST",
                    f -> "/v1/webhook-endpoints/" + f.endpointA() + "/replay", Fixture::keyA, false, f -> "{\"after_position\":0}",
                    List.of(field("after_position", Kind.POSITION, true)), false,
                    f -> List.of("/v1/webhook-endpoints/" + f.endpointB() + "/replay"), "we_"),
            new Endpoint("POST /v1/webhook-deliveries/{id}/retry", "POST",
                    f -> "/v1/webhook-deliveries/wd_0123456789abcdef0123456789/retry", Fixture::keyA, false, null, List.of(), false,
                    f -> List.of("/v1/webhook-deliveries/" + f.endpointA() + "/retry"), "wd_"),
            new Endpoint("POST /v1/stream-tokens", "POST", f -> "/v1/stream-tokens", Fixture::keyA, false,
                    f -> "{\"payment\":\"" + f.paymentA() + "\"}", List.of(field("payment", Kind.ID, false)), false,
                    f -> List.of(), null),
            new Endpoint("POST /admin/projections/{name}/rebuild", "POST", f -> "/admin/projections/volume/rebuild",
                    Fixture::adminKey, true, null, List.of(), false, f -> List.of(), "volume"));

    // ---------------------------------------------------------------- the defects

    /** A request broken in one way. */
    record Bad(String endpoint, String defect, Raw request) {
        @Override
        public String toString() {
            return endpoint + " / " + defect + " / " + request;
        }
    }

    /** Exactly what goes on the wire, but for Host, Connection and the body's framing. */
    record Raw(String method, String path, List<String[]> headers, byte[] body, boolean chunked) {
        @Override
        public String toString() {
            String text = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            return method + " " + path + " " + headers.stream().map(h -> h[0] + ": " + h[1]).toList()
                    + (body == null ? "" : " body(" + body.length + "): " + text);
        }
    }

    static Gen<Bad> malformed() {
        return Gen.of(ENDPOINTS).flatMap(endpoint -> {
            List<Gen<Bad>> defects = new ArrayList<>();
            defects.add(badAuthorization(endpoint));
            defects.add(badHeaders(endpoint));
            if (endpoint.idPrefix() != null) {
                defects.add(badId(endpoint));
            }
            if (endpoint.hasBody()) {
                defects.add(badJson(endpoint));
                defects.add(badBodyFraming(endpoint));
                if (!endpoint.fields().isEmpty()) {
                    defects.add(badField(endpoint));
                    defects.add(badField(endpoint));
                }
            }
            return Gen.oneOf(defects);
        });
    }

    /** The endpoint's valid request, with changes. */
    static Raw valid(Endpoint endpoint, String key) {
        List<String[]> headers = new ArrayList<>();
        if (key != null) {
            headers.add(new String[] {"Authorization", "Bearer " + key});
        }
        byte[] body = null;
        if (endpoint.hasBody()) {
            headers.add(new String[] {"Content-Type", "application/json"});
            body = endpoint.body().apply(fixture).getBytes(StandardCharsets.UTF_8);
        }
        return new Raw(endpoint.method(), endpoint.path().apply(fixture), headers, body, false);
    }

    static Raw withBody(Raw raw, byte[] body) {
        return new Raw(raw.method(), raw.path(), raw.headers(), body, raw.chunked());
    }

    static Raw withHeader(Raw raw, String name, String value, boolean replace) {
        List<String[]> headers = new ArrayList<>();
        for (String[] header : raw.headers()) {
            if (!(replace && header[0].equalsIgnoreCase(name))) {
                headers.add(header);
            }
        }
        if (value != null || !replace) {
            headers.add(new String[] {name, value}); // a null value: the name is a whole raw header line
        }
        return new Raw(raw.method(), raw.path(), headers, raw.body(), raw.chunked());
    }

    static Gen<Bad> badAuthorization(Endpoint endpoint) {
        return Gen.strings(Gen.chars('!', '~'), 0, 70).flatMap(noise -> Gen.of(
                        new Bad(endpoint.name(), "no Authorization", withHeader(valid(endpoint, null), "Authorization", null, true)),
                        new Bad(endpoint.name(), "Authorization without a key", withHeader(valid(endpoint, null), "Authorization", "Bearer", true)),
                        new Bad(endpoint.name(), "unknown key", withHeader(valid(endpoint, null), "Authorization", "Bearer sk_" + noise, true)),
                        new Bad(endpoint.name(), "other scheme", withHeader(valid(endpoint, null), "Authorization", "Basic " + noise, true)),
                        new Bad(endpoint.name(), "the key with a suffix", withHeader(valid(endpoint, null), "Authorization",
                                "Bearer " + endpoint.key().apply(fixture) + "x" + noise, true)),
                        new Bad(endpoint.name(), "the other side's key", valid(endpoint, endpoint.admin() ? fixture.keyA() : fixture.adminKey())),
                        new Bad(endpoint.name(), "two Authorization headers", withHeader(valid(endpoint, endpoint.key().apply(fixture)),
                                "Authorization", "Bearer " + (endpoint.admin() ? fixture.adminKey() : fixture.keyB()), false))));
    }

    static Gen<Bad> badHeaders(Endpoint endpoint) {
        Raw raw = valid(endpoint, endpoint.key().apply(fixture));
        List<Gen<Bad>> options = new ArrayList<>();
        options.add(Gen.strings(ALPHA, 1, 10).map(key -> new Bad(endpoint.name(),
                "two Idempotency-Keys", withHeader(withHeader(raw, "Idempotency-Key", key, false), "Idempotency-Key", key + "2", false))));
        options.add(Gen.of("\u0000", "a\u0000b", "a\rb", "a\nInjected: yes", "\u007f").map(value -> new Bad(endpoint.name(),
                "a control character in a header value (NUL, CR, LF: injection)", withHeader(raw, "X-Trace", value, false))));
        options.add(Gen.of("Bad Name: x", "X-CR: a\rb", "X-Ctl\u0001: x", "(): x")
                .map(line -> new Bad(endpoint.name(), "a malformed header line", withHeader(raw, line, null, false))));
        if (endpoint.readsIdempotencyKey()) {
            options.add(Gen.strings(ALPHANUMERIC, 256, 1_000).map(key -> new Bad(endpoint.name(),
                    "an Idempotency-Key over 255 characters", withHeader(raw, "Idempotency-Key", key, true))));
        }
        if (endpoint.hasBody()) {
            options.add(Gen.just(new Bad(endpoint.name(), "two Content-Types",
                    withHeader(raw, "Content-Type", "application/json", false))));
        }
        return Gen.oneOf(options);
    }

    static Gen<Bad> badId(Endpoint endpoint) {
        Raw raw = valid(endpoint, endpoint.key().apply(fixture));
        String own = raw.path();
        String validId = endpoint.idPrefix().equals("volume") ? "volume" : idIn(own, endpoint.idPrefix());
        Gen<String> junk = Gen.oneOf(
                Gen.strings(ANY, 1, 40),
                Gen.strings(Gen.chars('a', 'z'), 300, 300).map(s -> endpoint.idPrefix() + s),
                Gen.of("x", endpoint.idPrefix(), endpoint.idPrefix() + "-", endpoint.idPrefix() + "é", "..", "%00", "%",
                        endpoint.idPrefix() + "%00", endpoint.idPrefix() + "%2F", "%ZZ", endpoint.idPrefix() + "a b",
                        validId + "x", validId.toUpperCase(Locale.ROOT), endpoint.idPrefix() + "\uD800"));
        List<Gen<Bad>> options = new ArrayList<>();
        options.add(junk.filter(id -> !id.equals(validId)).map(id -> new Bad(endpoint.name(), "a malformed id",
                new Raw(raw.method(), own.replace(validId, encode(id)), raw.headers(), raw.body(), false))));
        List<String> foreign = endpoint.foreignPaths().apply(fixture);
        if (!foreign.isEmpty()) {
            options.add(Gen.of(foreign).map(path -> new Bad(endpoint.name(), "another merchant's id or another kind's",
                    new Raw(raw.method(), path, raw.headers(), raw.body(), false))));
        }
        return Gen.oneOf(options);
    }

    /** Percent-encodes what is not plain, except a lone '%' the generator chose to send raw. */
    static String encode(String id) {
        if (id.matches("%[0-9A-Za-z]*")) {
            return id;
        }
        if (id.contains("%")) {
            return id.replace(" ", "%20");
        }
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String idIn(String path, String prefix) {
        for (String segment : path.split("/")) {
            if (segment.startsWith(prefix)) {
                return segment;
            }
        }
        throw new IllegalStateException(path);
    }

    static Gen<Bad> badJson(Endpoint endpoint) {
        Raw raw = valid(endpoint, endpoint.key().apply(fixture));
        String body = new String(raw.body(), StandardCharsets.UTF_8);
        ObjectNode tree = (ObjectNode) JSON.readTree(body);
        String firstKey = tree.propertyNames().iterator().next();
        List<Gen<Bad>> options = new ArrayList<>();
        options.add(Gen.integers(1, body.length() - 1).map(cut -> new Bad(endpoint.name(), "truncated JSON",
                withBody(raw, body.substring(0, cut).getBytes(StandardCharsets.UTF_8)))));
        List<String> notObjects = new ArrayList<>(List.of("[]", "[" + body + "]", "\"text\"", "42", "true", "{", "}", "{}}",
                body + body, body + ",", "{'currency':'USD'}", "{currency:\"USD\"}", "{\"a\" 1}", "// comment\n" + body,
                body.replaceFirst("\\}$", ",}")));
        if (!endpoint.name().equals("POST /v1/stream-tokens")) {
            notObjects.add("null");
        }
        options.add(Gen.of(notObjects).map(text -> new Bad(endpoint.name(), "not a JSON object",
                withBody(raw, text.getBytes(StandardCharsets.UTF_8)))));
        options.add(Gen.combine(Gen.strings(ALPHA, 1, 12), Gen.of("1", "\"x\"", "null", "{}", "[]", "true"),
                (name, value) -> new Bad(endpoint.name(), "an unknown field",
                        withBody(raw, body.replaceFirst("^\\{", "{\"zz_" + name + "\":" + value + ",").getBytes(StandardCharsets.UTF_8)))));
        options.add(Gen.of("same", "other").map(which -> new Bad(endpoint.name(), "a duplicated field",
                withBody(raw, body.replaceFirst("^\\{", "{\"" + firstKey + "\":" + (which.equals("same") ? tree.get(firstKey) : "\"other\"")
                        + ",").getBytes(StandardCharsets.UTF_8)))));
        options.add(Gen.integers(600, 3_000).map(depth -> new Bad(endpoint.name(), "nesting deeper than the parser allows",
                withBody(raw, ("{\"" + firstKey + "\":" + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8)))));
        options.add(Gen.integers(2, 50).map(depth -> new Bad(endpoint.name(), "a field nested in arrays",
                withBody(raw, body.replaceFirst("^\\{\"" + firstKey + "\":(\"[^\"]*\"|[-0-9]+)", "{\"" + firstKey + "\":"
                        + "[".repeat(depth) + "$1" + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8)))));
        options.add(Gen.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {0x00}, new byte[] {0x01}, new byte[] {0x0A})
                .map(bytes -> new Bad(endpoint.name(), "bytes that are not JSON text in a string", withBody(raw, insideFirstString(body, bytes)))));
        return Gen.oneOf(options);
    }

    /** The body with {@code bytes} put raw inside its first string value. */
    static byte[] insideFirstString(String body, byte[] bytes) {
        int colonQuote = body.indexOf(":\"");
        int at = colonQuote < 0 ? 2 : colonQuote + 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(body.substring(0, at).getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        out.writeBytes(body.substring(at).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static Gen<Bad> badBodyFraming(Endpoint endpoint) {
        Raw raw = valid(endpoint, endpoint.key().apply(fixture));
        String body = new String(raw.body(), StandardCharsets.UTF_8);
        List<Gen<Bad>> options = new ArrayList<>();
        options.add(Gen.of("text/plain", "application/xml", "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x", "application/jsonx", "json", "*/*", "application/octet-stream")
                .map(type -> new Bad(endpoint.name(), "a content type other than JSON", withHeader(raw, "Content-Type", type, true))));
        options.add(Gen.just(new Bad(endpoint.name(), "no content type", withHeader(raw, "Content-Type", null, true))));
        options.add(Gen.of("utf-42", "klingon", "UTF-16", "UTF-32", "x-unknown", "\"\"")
                .map(charset -> new Bad(endpoint.name(), "a charset the body is not in",
                        withHeader(raw, "Content-Type", "application/json; charset=" + charset, true))));
        options.add(Gen.integers(64 * 1024 + 1, 200 * 1024).flatMap(size -> Gen.of(false, true)
                .map(chunked -> new Bad(endpoint.name(), "a body over 64 KiB" + (chunked ? ", chunked" : ""),
                        new Raw(raw.method(), raw.path(), raw.headers(),
                                (body + " ".repeat(size - body.length())).getBytes(StandardCharsets.UTF_8), chunked)))));
        return Gen.oneOf(options);
    }

    static Gen<Bad> badField(Endpoint endpoint) {
        return Gen.of(endpoint.fields()).flatMap(field -> {
            List<Gen<JsonNode>> values = new ArrayList<>(wrongTypes(field.kind()));
            if (field.required()) {
                values.add(Gen.just(NODES.nullNode()));
            }
            values.addAll(badValues(field));
            return Gen.oneOf(values).map(value -> {
                Raw raw = valid(endpoint, endpoint.key().apply(fixture));
                ObjectNode tree = (ObjectNode) JSON.readTree(raw.body());
                set(tree, field.path(), value);
                String shown = value.toString();
                return new Bad(endpoint.name(), field.path() + " = " + (shown.length() > 60 ? shown.substring(0, 60) + "…" : shown),
                        withBody(raw, JSON.writeValueAsBytes(tree)));
            });
        });
    }

    static List<Gen<JsonNode>> wrongTypes(Kind kind) {
        Gen<JsonNode> text = Gen.of("100", "", "true", "{}").map(NODES::stringNode);
        Gen<JsonNode> number = Gen.of(NODES.numberNode(1), NODES.numberNode(1.5), NODES.numberNode(0));
        Gen<JsonNode> bool = Gen.of(NODES.booleanNode(true), NODES.booleanNode(false));
        Gen<JsonNode> array = Gen.just(NODES.arrayNode().add("x"));
        Gen<JsonNode> object = Gen.just(NODES.objectNode().put("a", "b"));
        return switch (kind) {
            case FREE_TEXT, CODE, ID -> List.of(number, bool, array, object);
            case AMOUNT, COUNT, MONTH, YEAR, POSITION -> List.of(text, bool, array, object);
            case METADATA, OBJECT -> List.of(text, number, bool, array);
            case EVENTS -> List.of(text, number, bool, object);
        };
    }

    static final List<String> JUNK = List.of("é", "中", "\uD83D\uDE00", "\u0001", "\u0007", "\u007f", "\u200b", "\u00a0", "'", "\"", "\\",
            "%", "<", "$", "\ufeff", "\u0000");

    static List<Gen<JsonNode>> badValues(Field field) {
        Gen<String> unstorable = Gen.of("\u0000", "a\u0000", "\uD800", "x\uDC00y", "\uDBFF");
        return switch (field.kind()) {
            case FREE_TEXT -> {
                List<Gen<JsonNode>> values = new ArrayList<>();
                values.add(Gen.combine(Gen.strings(ANY, 0, 20), unstorable, (s, u) -> NODES.stringNode(s + u)));
                if (field.lengthMax() > 0) {
                    values.add(Gen.strings(ALPHA, field.lengthMax() + 1, field.lengthMax() + 1).map(NODES::stringNode));
                }
                if (field.required()) {
                    values.add(Gen.of("", "   ").map(NODES::stringNode));
                }
                yield values;
            }
            case CODE, ID -> List.of(
                    Gen.combine(Gen.of(JUNK), Gen.strings(ANY, 0, 10), (junk, s) -> NODES.stringNode(junkValue(field, junk, s))),
                    Gen.combine(Gen.strings(ANY, 0, 20), unstorable, (s, u) -> NODES.stringNode(s + u)));
            case AMOUNT -> List.of(Gen.of("0", "-1", "-0", "1000000000001", "9223372036854775807", "9223372036854775808",
                            "-9223372036854775809", "18446744073709551616", "1e400", "1.5", "1e2", "1E+2", "100.0", "0.0", "-1e-400",
                            "99999999999999999999999999999999999999")
                    .map(MalformedRequestsPropertyTest::number));
            case COUNT -> List.of(Gen.of("-1", "1000000000001", "9223372036854775808", "1.5", "1e3")
                    .map(MalformedRequestsPropertyTest::number));
            case MONTH -> List.of(Gen.of("0", "13", "-1", "2147483648", "1.0").map(MalformedRequestsPropertyTest::number));
            case YEAR -> List.of(Gen.of("999", "10000", "2000", "-2035", "2147483648").map(MalformedRequestsPropertyTest::number));
            case POSITION -> List.of(Gen.of("-1", "9223372036854775808", "1.5", "-9223372036854775808")
                    .map(MalformedRequestsPropertyTest::number));
            case METADATA -> List.of(
                    Gen.strings(ALPHA, 41, 41).map(key -> NODES.objectNode().put(key, "v")),
                    Gen.strings(ALPHA, 501, 501).map(value -> NODES.objectNode().put("k", value)),
                    Gen.just(manyKeys(51)),
                    Gen.just(NODES.objectNode().put("", "v")),
                    Gen.just(NODES.objectNode().putNull("k")),
                    unstorable.map(u -> NODES.objectNode().put("k" + u, "v")),
                    unstorable.map(u -> NODES.objectNode().put("k", "v" + u)));
            case EVENTS -> List.of(
                    Gen.just(NODES.arrayNode()),
                    Gen.just(NODES.arrayNode().addNull()),
                    Gen.just(manyEvents(51)),
                    Gen.of("payment.nope", "PAYMENT.SUCCEEDED", "**", "payment.*x").map(type -> NODES.arrayNode().add(type)));
            case OBJECT -> List.of(Gen.just(NODES.objectNode()), Gen.just(NODES.objectNode().put("type", "bank")));
        };
    }

    /** A value of a constrained field (a code, a URL, an id) that no junk character leaves valid. */
    static String junkValue(Field field, String junk, String noise) {
        return switch (field.path()) {
            case "url" -> "http://" + junk + noise + "127.0.0.1:9/hook";
            case "source.number" -> "42424242" + junk + "42424242";
            default -> junk + noise;
        };
    }

    static JsonNode number(String literal) {
        return JSON.readTree(literal.startsWith("-") || Character.isDigit(literal.charAt(0)) ? literal : "\"" + literal + "\"");
    }

    static ObjectNode manyKeys(int count) {
        ObjectNode node = NODES.objectNode();
        for (int i = 0; i < count; i++) {
            node.put("k" + i, "v");
        }
        return node;
    }

    static ArrayNode manyEvents(int count) {
        ArrayNode node = NODES.arrayNode();
        for (int i = 0; i < count; i++) {
            node.add("payment.succeeded");
        }
        return node;
    }

    static void set(ObjectNode tree, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode parent = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = (ObjectNode) parent.get(parts[i]);
        }
        String last = parts[parts.length - 1];
        if (last.endsWith("[0]")) {
            ((ArrayNode) parent.get(last.substring(0, last.length() - 3))).set(0, value);
        } else {
            parent.set(last, value);
        }
    }

    // ---------------------------------------------------------------- the wire

    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
        }
    }

    /** One request on a connection of its own ({@code Connection: close}); the answer read to the end. */
    static Response send(Raw raw) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes((raw.method() + " " + raw.path() + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
                .getBytes(StandardCharsets.UTF_8));
        for (String[] header : raw.headers()) {
            String line = header[1] == null ? header[0] : header[0] + ": " + header[1];
            request.writeBytes((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        if (raw.body() != null) {
            request.writeBytes((raw.chunked() ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + raw.body().length + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        if (raw.body() != null) {
            if (raw.chunked()) {
                for (int at = 0; at < raw.body().length; at += 8_192) {
                    int size = Math.min(8_192, raw.body().length - at);
                    request.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    request.write(raw.body(), at, size);
                    request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                request.writeBytes(raw.body());
            }
        }
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.toByteArray());
                out.flush();
            } catch (IOException closedEarly) {
                // the server may answer and close before reading all of a refused body: read its answer
            }
            return parse(readAll(socket.getInputStream()));
        }
    }

    static byte[] readAll(InputStream in) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8_192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
            }
        } catch (IOException reset) {
            // keep what arrived before the reset
        }
        return all.toByteArray();
    }

    static Response parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
            return new Response(-1, Map.of(), "no HTTP answer: '" + text + "'");
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        String body = text.substring(headEnd + 4);
        if (headers.getOrDefault("transfer-encoding", "").contains("chunked")) {
            StringBuilder decoded = new StringBuilder();
            int at = 0;
            while (at < body.length()) {
                int lineEnd = body.indexOf("\r\n", at);
                int size = Integer.parseInt(body.substring(at, lineEnd).split(";")[0].strip(), 16);
                if (size == 0) {
                    break;
                }
                decoded.append(body, lineEnd + 2, lineEnd + 2 + size);
                at = lineEnd + 2 + size + 2;
            }
            body = decoded.toString();
        }
        return new Response(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
    }

    // ---------------------------------------------------------------- set-up and what is stored

    @SuppressWarnings("unchecked")
    static Map<String, Object> created(String method, String path, String key, String body) {
        try {
            Response response = send(new Raw(method, path, List.of(new String[] {"Authorization", "Bearer " + key},
                    new String[] {"Content-Type", "application/json"}), body.getBytes(StandardCharsets.UTF_8), false));
            if (response.status() / 100 != 2) {
                throw new IllegalStateException(method + " " + path + " answered " + response);
            }
            return JSON.readValue(response.body(), Map.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String id(Map<String, Object> created) {
        return (String) created.get("id");
    }

    /** A digest of everything a write could have stored. */
    static String stored() throws SQLException {
        try (Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery("select"
                        + " (select count(*) from events) as events,"
                        + " (select count(*) from merchants) as merchants,"
                        + " (select count(*) from idempotency_keys) as keys,"
                        + " (select count(*) from webhook_deliveries) as deliveries,"
                        + " (select md5(coalesce(string_agg(e::text, ',' order by e.id), '')) from webhook_endpoints e) as endpoints")) {
            row.next();
            return "events=" + row.getLong("events") + " merchants=" + row.getLong("merchants") + " keys=" + row.getLong("keys")
                    + " deliveries=" + row.getLong("deliveries") + " endpoints=" + row.getString("endpoints");
        }
    }
}
