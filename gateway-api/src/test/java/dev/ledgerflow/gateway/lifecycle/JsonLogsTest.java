package dev.ledgerflow.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.testing.TestPostgres;
import dev.ledgerflow.testing.TestRedis;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service as production runs it (its own class path, without the tests' logback-test.xml): every
 * console line is one JSON object (ECS), and the access log line of a request carries its Request-Id.
 */
class JsonLogsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void production_logs_are_json_lines_and_a_request_s_line_carries_its_request_id() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", productionClassPath(), "dev.ledgerflow.gateway.LedgerflowApplication");
        builder.environment().keySet().removeIf(name -> name.startsWith("LEDGER_") || name.startsWith("LOGGING_"));
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().put("LEDGER_POSTGRES_URL", TestPostgres.freshDatabase().url());
        builder.environment().put("LEDGER_REDIS_URL", TestRedis.url());
        builder.environment().put("LEDGER_ADMIN_KEY", ApiTest.ADMIN_KEY);
        builder.environment().put("LEDGER_WEBHOOKS_SECRETS_KEY", ApiTest.WEBHOOK_SECRETS_KEY);
        builder.environment().put("LEDGER_API_KEYS_HASH_KEY", ApiTest.API_KEYS_HASH_KEY);
        builder.redirectError(ProcessBuilder.Redirect.DISCARD); // the JVM's own warnings; the logs go to stdout
        Process process = builder.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread pump = Thread.ofVirtual().start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                reader.lines().forEach(lines::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            await().atMost(Duration.ofMinutes(3)).until(() -> !process.isAlive()
                    || lines.stream().anyMatch(line -> line.contains("Started LedgerflowApplication")));
            assertThat(process.isAlive()).as("started; its output:%n%s", String.join("\n", lines)).isTrue();

            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/v1/accounts")).header("Request-Id", "req-json-logs-1").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(401);

            await().atMost(Duration.ofSeconds(20))
                    .until(() -> lines.stream().anyMatch(line -> line.contains("request_id=req-json-logs-1")));
            for (String line : lines) {
                assertThat(JSON.readTree(line).isObject()).as("a JSON object: %s", line).isTrue();
            }
            JsonNode access = JSON.readTree(lines.stream().filter(line -> line.contains("request_id=req-json-logs-1"))
                    .findFirst().orElseThrow());
            assertThat(access.get("@timestamp").asString()).isNotEmpty();
            assertThat(field(access, "log", "logger")).isEqualTo("ledgerflow.access");
            assertThat(field(access, "log", "level")).isEqualTo("INFO");
            assertThat(field(access, "service", "name")).isEqualTo("ledgerflow");
            assertThat(access.get("message").asString()).startsWith("GET ").contains(" 401 ").endsWith("request_id=req-json-logs-1");
        } finally {
            process.destroy();
            process.waitFor();
            pump.join(Duration.ofSeconds(10));
        }
    }

    /** An ECS field, nested ({@code "log":{"level":…}}) or dotted ({@code "log.level"}), as the format writes it. */
    private static String field(JsonNode node, String parent, String child) {
        JsonNode nested = node.path(parent).path(child);
        return nested.isMissingNode() ? node.path(parent + "." + child).asString() : nested.asString();
    }

    /** This JVM's class path without what carries the tests' logback-test.xml (the ledger-core test jar or classes). */
    private static String productionClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !hasTestLogback(Path.of(entry)))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean hasTestLogback(Path entry) {
        if (Files.isDirectory(entry)) {
            return Files.exists(entry.resolve("logback-test.xml"));
        }
        if (!entry.toString().endsWith(".jar") || !Files.exists(entry)) {
            return false;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            return jar.getEntry("logback-test.xml") != null;
        } catch (IOException e) {
            return false;
        }
    }
}
