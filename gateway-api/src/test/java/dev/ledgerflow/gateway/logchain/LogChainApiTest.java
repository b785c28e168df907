package dev.ledgerflow.gateway.logchain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTest;
import dev.ledgerflow.gateway.ApiTestBase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The tamper-evident log over HTTP: {@code GET /admin/log/verify}, the hashes in {@code /v1/events},
 * signed checkpoints ({@code POST /admin/log/checkpoints}, {@code GET /v1/log/public-key}) and their
 * 4xx. The last tests edit the database behind the service's back, so they run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogChainApiTest extends ApiTestBase {

    @Autowired
    PostgresSettings database;

    WebTestClient.ResponseSpec admin(String method, String path) {
        return http.method(org.springframework.http.HttpMethod.valueOf(method)).uri(path)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiTest.ADMIN_KEY).exchange();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> verify(String query) {
        return admin("GET", "/admin/log/verify" + query).expectStatus().isOk().expectBody(Map.class).returnResult()
                .getResponseBody();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> publishCheckpoint() {
        return admin("POST", "/admin/log/checkpoints").expectStatus().isOk().expectBody(Map.class).returnResult()
                .getResponseBody();
    }

    ApiClient merchantWithMoves() {
        ApiClient merchant = ApiClient.newMerchant(http);
        String account = merchant.openAccount("USD", 0);
        merchant.deposit(account, 1_000);
        merchant.deposit(account, 2_000);
        return merchant;
    }

    @Test
    @Order(1)
    void the_log_verifies_from_its_first_event_to_its_head() {
        merchantWithMoves();

        Map<String, Object> walk = verify("");

        assertThat(walk).containsEntry("ok", true).containsEntry("from", 1).containsEntry("next_from", null)
                .containsEntry("first_break", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> head = (Map<String, Object>) walk.get("head");
        assertThat(walk.get("last_position")).isEqualTo(head.get("position"));
        assertThat(walk.get("last_hash")).isEqualTo(head.get("hash"));
        assertThat(((Number) walk.get("checked")).longValue()).isEqualTo(((Number) head.get("position")).longValue());
    }

    @Test
    @Order(2)
    void a_long_range_is_walked_in_pages_with_next_from() {
        merchantWithMoves();

        Map<String, Object> first = verify("?from=1&limit=2");
        Map<String, Object> second = verify("?from=" + first.get("next_from") + "&limit=2");

        assertThat(first).containsEntry("ok", true).containsEntry("checked", 2).containsEntry("next_from", 3);
        assertThat(second).containsEntry("ok", true).containsEntry("checked", 2).containsEntry("next_from", 5);
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void each_event_of_the_merchant_feed_carries_its_hash_and_the_previous_one() {
        ApiClient merchant = merchantWithMoves();

        List<Map<String, Object>> events = (List<Map<String, Object>>) merchant.read("/v1/events?limit=100").get("data");

        assertThat(events).hasSize(3).allSatisfy(event -> {
            assertThat((String) event.get("hash")).matches("[0-9a-f]{64}");
            assertThat((String) event.get("previous_hash")).matches("[0-9a-f]{64}");
        });
        // Consecutive in the global log (nothing else was written between them): each chains on the one before.
        assertThat(events.get(1).get("previous_hash")).isEqualTo(events.get(0).get("hash"));
        assertThat(events.get(2).get("previous_hash")).isEqualTo(events.get(1).get("hash"));
        long last = ((Number) events.get(2).get("position")).longValue();
        assertThat(verify("?from=" + last + "&to=" + last)).containsEntry("ok", true)
                .containsEntry("last_hash", events.get(2).get("hash"));
    }

    @Test
    @Order(4)
    @SuppressWarnings("unchecked")
    void a_checkpoint_is_signed_published_once_per_move_of_the_head_and_an_old_one_still_verifies() {
        merchantWithMoves();
        Map<String, Object> published = publishCheckpoint();
        assertThat(published).containsEntry("published", true);
        Map<String, Object> checkpoint = (Map<String, Object>) published.get("checkpoint");
        assertThat(publishCheckpoint()).as("the head moved only by the checkpoint itself").containsEntry("published", false);

        merchantWithMoves(); // the log goes on

        String publicKey = (String) ApiClient.newMerchant(http).read("/v1/log/public-key").get("public_key");
        assertThat(checkpoint).containsEntry("public_key", publicKey).containsEntry("algorithm", "Ed25519");
        assertThat(checkpointHolds(checkpoint, publicKey)).isTrue();
        assertThat(verify("")).containsEntry("ok", true);
        Map<String, Object> next = publishCheckpoint();
        assertThat(next).containsEntry("published", true);
        assertThat(((Number) ((Map<String, Object>) next.get("checkpoint")).get("position")).longValue())
                .isGreaterThan(((Number) checkpoint.get("position")).longValue());

        // Published as an event of the log, which the admin sees and no merchant does.
        List<Map<String, Object>> stream = (List<Map<String, Object>>) admin("GET", "/admin/streams/log_checkpoints/events")
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody().get("data");
        assertThat(stream).extracting(e -> e.get("type")).containsOnly("log.checkpoint");
        assertThat(((Map<String, Object>) stream.get(0).get("data"))).containsEntry("signature", checkpoint.get("signature"));
    }

    @ParameterizedTest
    @Order(5)
    @ValueSource(strings = {"?from=abc", "?from=-1", "?from=0", "?to=x", "?from=5&to=4", "?limit=0", "?limit=10001",
        "?limit=many", "?since=1", "?from=1&from=2"})
    void bad_parameters_answer_400_invalid_request(String query) {
        admin("GET", "/admin/log/verify" + query).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
    }

    @Test
    @Order(6)
    void the_endpoints_need_their_keys() {
        ApiClient merchant = ApiClient.newMerchant(http);
        http.get().uri("/admin/log/verify").exchange().expectStatus().isUnauthorized();
        merchant.get("/admin/log/verify").expectStatus().isUnauthorized();
        http.post().uri("/admin/log/checkpoints").header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key()).exchange()
                .expectStatus().isUnauthorized();
        http.get().uri("/v1/log/public-key").exchange().expectStatus().isUnauthorized();
        merchant.get("/admin/log/public-key").expectStatus().isUnauthorized();
        admin("GET", "/admin/log/public-key").expectStatus().isOk().expectBody().jsonPath("$.public_key")
                .isEqualTo(merchant.read("/v1/log/public-key").get("public_key"));
    }

    @Test
    @Order(7)
    @SuppressWarnings("unchecked")
    void an_edit_of_one_payload_in_postgresql_is_reported_at_exactly_that_event_and_fails_an_older_checkpoint()
            throws SQLException {
        merchantWithMoves();
        Map<String, Object> checkpoint = (Map<String, Object>) publishCheckpoint().get("checkpoint");
        String publicKey = (String) checkpoint.get("public_key");
        long edited;
        String stream;
        try (Connection jdbc = DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
                Statement statement = jdbc.createStatement()) {
            var row = statement.executeQuery("select position, stream_id from events where type = 'deposit.posted'"
                    + " order by position desc limit 1");
            row.next();
            edited = row.getLong("position");
            stream = row.getString("stream_id");
            statement.executeUpdate("update events set payload = jsonb_set(payload, '{data,amount}', '1000000')"
                    + " where position = " + edited);
        }

        Map<String, Object> walk = verify("");

        assertThat(walk).containsEntry("ok", false);
        Map<String, Object> found = (Map<String, Object>) walk.get("first_break");
        assertThat(found).containsEntry("reason", "hash_mismatch").containsEntry("stream_id", stream);
        assertThat(((Number) found.get("position")).longValue()).isEqualTo(edited);
        assertThat(found.get("expected")).isNotEqualTo(found.get("found"));
        assertThat(verify("?from=" + (edited + 1))).as("the events after it").containsEntry("ok", true);
        assertThat(checkpointHolds(checkpoint, publicKey)).as("the checkpoint taken before the edit").isFalse();
    }

    /**
     * What an auditor does with a checkpoint: its signature is the public key's, and the chain
     * recomputed up to its position still ends on its hash.
     */
    private boolean checkpointHolds(Map<String, Object> checkpoint, String publicKey) {
        long position = ((Number) checkpoint.get("position")).longValue();
        String hash = (String) checkpoint.get("hash");
        boolean signed = LogSigningKey.verify(publicKey, LogCheckpoint.message(position, hash,
                (String) checkpoint.get("signed_at")), (String) checkpoint.get("signature"));
        Map<String, Object> walk = verify("?from=1&to=" + position);
        return signed && Boolean.TRUE.equals(walk.get("ok")) && hash.equals(walk.get("last_hash"))
                && walk.get("next_from") == null;
    }
}
