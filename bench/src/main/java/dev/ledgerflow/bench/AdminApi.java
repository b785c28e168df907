package dev.ledgerflow.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's admin API as the long-running scenarios use it: blocking calls with the admin key,
 * made a few times a second at most, so a plain JDK client is enough.
 */
final class AdminApi {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String baseUrl;
    private final String adminKey;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    AdminApi(String baseUrl, String adminKey) {
        this.baseUrl = baseUrl;
        this.adminKey = adminKey;
    }

    /** Every reader of the feed as {@code GET /admin/projections} lists it: projections, then feed consumers. */
    List<JsonNode> readers() throws Exception {
        HttpResponse<String> response = send("GET", "/admin/projections", Duration.ofSeconds(30));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /admin/projections answered " + response.statusCode() + " " + response.body());
        }
        List<JsonNode> readers = new ArrayList<>();
        JSON.readTree(response.body()).get("data").forEach(readers::add);
        return readers;
    }

    HttpResponse<String> send(String method, String path, Duration timeout) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Authorization", "Bearer " + adminKey)
                .timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
