package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The merchants' webhook endpoints ({@code webhook_endpoints}); every read and change is scoped to one merchant.
 * Their signing secrets are stored sealed by the {@link SecretsCipher}, bound to the endpoint's id, and
 * opened when read: an {@link Endpoint} always holds them in clear.
 */
public final class WebhookEndpoints {

    private static final String COLUMNS = "id, merchant_id, url, description, event_types, status, disabled_reason, secret,"
            + " previous_secret, previous_secret_expires_at, created_at, updated_at";

    private static final String INSERT = "insert into webhook_endpoints (id, merchant_id, url, description, event_types,"
            + " status, secret) values ($1, $2, $3, $4, $5, 'enabled', $6) returning " + COLUMNS;

    private final Sql sql;
    private final SecretsCipher cipher;

    public WebhookEndpoints(ConnectionFactory connections, SecretsCipher cipher) {
        this.sql = Sql.on(connections);
        this.cipher = cipher;
    }

    /** What a stored secret of the endpoint is bound to: the same value in another row does not open. */
    static String secretContext(String endpointId) {
        return "webhook_endpoints:" + endpointId;
    }

    /** What a stored create response (it shows the secret) is bound to: its idempotency key. */
    static String responseContext(String scope, String key) {
        return "idempotency_keys:" + scope + ":" + key;
    }

    /**
     * One endpoint.
     *
     * @param events public event types, or {@code ["*"]}
     * @param status {@code enabled} or {@code disabled}
     * @param disabledReason why it was disabled (by the merchant, or by a 410 answer); null when enabled
     */
    public record Endpoint(
            String id,
            String merchantId,
            String url,
            String description,
            List<String> events,
            String status,
            String disabledReason,
            String secret,
            String previousSecret,
            Instant previousSecretExpiresAt,
            Instant createdAt,
            Instant updatedAt) {

        public boolean enabled() {
            return ENABLED.equals(status);
        }

        /** The secrets that sign a message sent at {@code now}: the current one, and the previous until it expires. */
        public List<String> signingSecrets(Instant now) {
            if (previousSecret != null && previousSecretExpiresAt != null && now.isBefore(previousSecretExpiresAt)) {
                return List.of(secret, previousSecret);
            }
            return List.of(secret);
        }

        /** Without the secrets: an endpoint may end up in a log line or an exception message. */
        @Override
        public String toString() {
            return "Endpoint[id=" + id + ", merchantId=" + merchantId + ", url=" + url + ", events=" + events
                    + ", status=" + status + ", secret=(hidden), previousSecret="
                    + (previousSecret == null ? "none" : "(hidden)") + "]";
        }
    }

    public static final String ENABLED = "enabled";
    public static final String DISABLED = "disabled";

    /** What a PATCH changes; null fields stay as they are. */
    public record Changes(String url, List<String> events, String description, String status) {}

    public Mono<Endpoint> create(String merchantId, String url, List<String> events, String description, Instant now) {
        String id = Ids.newId("we", now);
        return sql.query(INSERT, this::endpoint,
                        id, merchantId, url, orNull(description), events.toArray(String[]::new), newSealedSecret(id))
                .single();
    }

    /**
     * An {@code Idempotency-Key} of a create request.
     *
     * @param fingerprint a digest of the request: the same key with another request is a misuse
     * @param status the HTTP status stored with the response
     */
    public record IdempotencyKey(String key, String fingerprint, int status, Duration ttl) {}

    /** What an idempotent create came to: a new endpoint, or the response stored for the key. */
    public sealed interface Creation {

        /** @param responseBody the response rendered for it, now stored under the key */
        record Created(Endpoint endpoint, String responseBody) implements Creation {}

        /** The key was used before (and has not expired): its stored request fingerprint and response. */
        record Stored(String fingerprint, int status, String responseBody) implements Creation {}
    }

    /**
     * Creates an endpoint under an idempotency key, in one transaction with the key's row in
     * {@code idempotency_keys} (the table the event store's appends use, scoped by merchant): a
     * retried request finds the stored response instead of creating a second endpoint. A concurrent
     * request with the same key waits for this one's commit and then finds its response. The stored
     * response shows the secret, so it is stored sealed too (bound to the key), and opened to answer.
     */
    public Mono<Creation> create(String merchantId, String url, List<String> events, String description, Instant now,
            IdempotencyKey key, Function<Endpoint, String> render) {
        return sql.inTransaction(c -> Sql.query(c, "insert into idempotency_keys as k (scope, key, fingerprint,"
                                + " response_status, response_body, expires_at)"
                                + " values ($1, $2, $3, $4, '', now() + $5::float8 * interval '1 millisecond')"
                                + " on conflict (scope, key) do update set fingerprint = excluded.fingerprint,"
                                + " response_status = excluded.response_status, response_body = '', position = 0,"
                                + " created_at = now(), expires_at = excluded.expires_at"
                                + " where k.expires_at <= now()"
                                + " returning k.key",
                        row -> row.get("key", String.class),
                        merchantId, key.key(), key.fingerprint(), key.status(), key.ttl().toMillis())
                        .next()
                        .flatMap(claimed -> {
                            String id = Ids.newId("we", now);
                            return Sql.query(c, INSERT, this::endpoint,
                                            id, merchantId, url, orNull(description), events.toArray(String[]::new), newSealedSecret(id))
                                    .single()
                                    .flatMap(endpoint -> {
                                        String body = render.apply(endpoint);
                                        return Sql.update(c, "update idempotency_keys set response_body = $3 where scope = $1 and key = $2",
                                                        merchantId, key.key(), cipher.seal(body, responseContext(merchantId, key.key())))
                                                .thenReturn((Creation) new Creation.Created(endpoint, body));
                                    });
                        })
                        .switchIfEmpty(Mono.defer(() -> Sql.query(c, "select fingerprint, response_status, response_body"
                                        + " from idempotency_keys where scope = $1 and key = $2",
                                row -> (Creation) new Creation.Stored(row.get("fingerprint", String.class),
                                        row.get("response_status", Integer.class),
                                        cipher.open(row.get("response_body", String.class), responseContext(merchantId, key.key()))),
                                merchantId, key.key()).next())))
                .single();
    }

    public Mono<Endpoint> find(String merchantId, String id) {
        return sql.query("select " + COLUMNS + " from webhook_endpoints where id = $1 and merchant_id = $2 and deleted_at is null",
                        this::endpoint, id, merchantId)
                .next();
    }

    /** A page of the merchant's endpoints, newest first (ids sort by creation time). */
    public Flux<Endpoint> list(String merchantId, int limit, String startingAfter) {
        if (startingAfter == null) {
            return sql.query("select " + COLUMNS + " from webhook_endpoints where merchant_id = $1 and deleted_at is null"
                    + " order by id desc limit $2", this::endpoint, merchantId, limit);
        }
        return sql.query("select " + COLUMNS + " from webhook_endpoints where merchant_id = $1 and deleted_at is null"
                + " and id < $2 order by id desc limit $3", this::endpoint, merchantId, startingAfter, limit);
    }

    /** Applies a PATCH; empty when there is no such endpoint. Enabling clears the reason it was disabled for. */
    public Mono<Endpoint> update(String merchantId, String id, Changes changes) {
        return sql.query("update webhook_endpoints set"
                                + " url = coalesce($3, url),"
                                + " event_types = coalesce($4, event_types),"
                                + " description = coalesce($5, description),"
                                + " status = coalesce($6, status),"
                                + " disabled_reason = case when $6 = 'enabled' then null"
                                + "   when $6 = 'disabled' and status = 'enabled' then 'disabled by the merchant'"
                                + "   else disabled_reason end,"
                                + " updated_at = now()"
                                + " where id = $1 and merchant_id = $2 and deleted_at is null returning " + COLUMNS,
                        this::endpoint,
                        id, merchantId, orNull(changes.url()),
                        changes.events() == null ? new Sql.Null(String[].class) : changes.events().toArray(String[]::new),
                        orNull(changes.description()), orNull(changes.status()))
                .next();
    }

    /** A new secret; the current one becomes the previous one and keeps signing for {@code overlap}. */
    public Mono<Endpoint> rotateSecret(String merchantId, String id, Duration overlap) {
        return sql.query("update webhook_endpoints set previous_secret = secret,"
                                + " previous_secret_expires_at = now() + $3::float8 * interval '1 millisecond',"
                                + " secret = $4, updated_at = now()"
                                + " where id = $1 and merchant_id = $2 and deleted_at is null returning " + COLUMNS,
                        this::endpoint, id, merchantId, overlap.toMillis(), newSealedSecret(id))
                .next();
    }

    /**
     * Deletes an endpoint: it disappears from the API and receives nothing more. The row stays (soft
     * delete) because its deliveries and their attempt log keep pointing at it.
     */
    public Mono<Boolean> delete(String merchantId, String id) {
        return sql.update("update webhook_endpoints set deleted_at = now(), status = 'disabled',"
                        + " disabled_reason = 'deleted', updated_at = now()"
                        + " where id = $1 and merchant_id = $2 and deleted_at is null", id, merchantId)
                .map(rows -> rows > 0);
    }

    private String newSealedSecret(String endpointId) {
        return cipher.seal(WebhookSecrets.newSecret(), secretContext(endpointId));
    }

    private Endpoint endpoint(Readable row) {
        String id = row.get("id", String.class);
        String[] events = row.get("event_types", String[].class);
        String previousSecret = row.get("previous_secret", String.class);
        return new Endpoint(
                id,
                row.get("merchant_id", String.class),
                row.get("url", String.class),
                row.get("description", String.class),
                events == null ? List.of() : new ArrayList<>(Arrays.asList(events)),
                row.get("status", String.class),
                row.get("disabled_reason", String.class),
                cipher.open(row.get("secret", String.class), secretContext(id)),
                previousSecret == null ? null : cipher.open(previousSecret, secretContext(id)),
                Sql.instant(row, "previous_secret_expires_at"),
                Sql.instant(row, "created_at"),
                Sql.instant(row, "updated_at"));
    }

    private static Object orNull(String value) {
        return value == null ? new Sql.Null(String.class) : value;
    }
}
