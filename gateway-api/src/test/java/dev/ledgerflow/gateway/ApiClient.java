package dev.ledgerflow.gateway;

import java.util.Map;
import java.util.function.Consumer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** A merchant's view of the API in tests: creates a merchant, then calls with its key. */
public final class ApiClient {

    private final WebTestClient http;
    private final String key;
    public final String merchantId;

    private ApiClient(WebTestClient http, String key, String merchantId) {
        this.http = http;
        this.key = key;
        this.merchantId = merchantId;
    }

    @SuppressWarnings("unchecked")
    public static ApiClient newMerchant(WebTestClient http) {
        Map<String, Object> created = http.post().uri("/v1/merchants")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"Test merchant\"}")
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        return new ApiClient(http, (String) created.get("api_key"), (String) created.get("id"));
    }

    public String key() {
        return key;
    }

    public WebTestClient.ResponseSpec post(String path, String json) {
        return post(path, json, headers -> {});
    }

    public WebTestClient.ResponseSpec post(String path, String json, String idempotencyKey) {
        return post(path, json, headers -> headers.set("Idempotency-Key", idempotencyKey));
    }

    public WebTestClient.ResponseSpec post(String path, String json, Consumer<HttpHeaders> headers) {
        return http.post().uri(path)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .headers(headers)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json)
                .exchange();
    }

    public WebTestClient.ResponseSpec get(String path) {
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key).exchange();
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> created(String path, String json) {
        return post(path, json).expectStatus().is2xxSuccessful()
                .expectBody(Map.class).returnResult().getResponseBody();
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> read(String path) {
        return get(path).expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    public String openAccount(String currency, long overdraftLimit) {
        return (String) created("/v1/accounts",
                "{\"currency\":\"" + currency + "\",\"overdraft_limit\":" + overdraftLimit + "}").get("id");
    }

    public void deposit(String account, long amount) {
        created("/v1/accounts/" + account + "/deposits", "{\"amount\":" + amount + "}");
    }

    @SuppressWarnings("unchecked")
    public long available(String account) {
        Map<String, Object> balance = (Map<String, Object>) read("/v1/accounts/" + account).get("balance");
        return ((Number) balance.get("available")).longValue();
    }
}
