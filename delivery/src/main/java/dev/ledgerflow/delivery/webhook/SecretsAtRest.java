package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The start-up step that brings every stored webhook secret under the current key: secrets written in
 * clear by earlier versions are sealed, those sealed under the previous key or in the first format
 * ({@code v1}) are sealed again under the current key in the current format, and the service refuses
 * to start when any cannot be read with the configured keys.
 *
 * <p>It runs in one transaction under an advisory lock, so that instances starting at once take turns
 * and the second finds nothing left to do; it is idempotent. The rows it changes are locked, so an
 * endpoint rotated meanwhile by a running instance keeps its new secret. Deleted endpoints are
 * included: their secrets may still be trusted by a receiver.
 *
 * <p>Stored create responses ({@code idempotency_keys}, which show the secret) are swept only when
 * endpoint secrets needed work, that is on the first start after the upgrade and after a key change:
 * that table is large and the sweep reads all of it. A response that cannot be read is logged and
 * left: it answers only a retry of its create, and expires.
 */
public final class SecretsAtRest {

    private static final Logger log = LoggerFactory.getLogger(SecretsAtRest.class);
    private static final String LOCK = "select pg_advisory_xact_lock(hashtextextended('ledgerflow.webhook-secrets-at-rest', 0))";
    /** How many unreadable values a refusal lists; the count says how many there are. */
    private static final int LISTED_MAX = 5;

    private final Sql sql;
    private final SecretsCipher cipher;

    public SecretsAtRest(ConnectionFactory connections, SecretsCipher cipher) {
        this.sql = Sql.on(connections);
        this.cipher = cipher;
    }

    /**
     * What the step changed.
     *
     * @param endpoints endpoints whose secrets were sealed, or sealed again under the current key
     * @param responses stored create responses sealed, or sealed again
     */
    public record Outcome(int endpoints, int responses) {}

    /** Stored secrets that no configured key opens: the service must not run with them. */
    public static final class KeyMismatch extends IllegalStateException {
        KeyMismatch(String message) {
            super(message);
        }
    }

    private record StoredSecrets(String endpointId, String secret, String previousSecret) {}

    private record StoredResponse(String scope, String key, String body) {}

    /** Runs the step; fails with {@link KeyMismatch}, having changed nothing, when a secret cannot be read. */
    public Mono<Outcome> sealAll() {
        String current = cipher.currentPrefix() + "%";
        return sql.inTransaction(c -> Sql.query(c, LOCK, row -> 1)
                        .then(Sql.query(c, "select id, secret, previous_secret from webhook_endpoints"
                                                + " where secret not like $1 or previous_secret not like $1 order by id for update",
                                        row -> new StoredSecrets(row.get("id", String.class), row.get("secret", String.class),
                                                row.get("previous_secret", String.class)),
                                        current)
                                .collectList())
                        .flatMap(rows -> rows.isEmpty()
                                ? Mono.just(new Outcome(0, 0))
                                : sealEndpoints(c, rows).then(sealResponses(c)).map(responses -> new Outcome(rows.size(), responses))))
                .single();
    }

    private Mono<Void> sealEndpoints(Connection c, List<StoredSecrets> rows) {
        List<StoredSecrets> sealed = new ArrayList<>();
        List<SecretsCipher.Unreadable> unreadable = new ArrayList<>();
        for (StoredSecrets row : rows) {
            String context = WebhookEndpoints.secretContext(row.endpointId());
            try {
                sealed.add(new StoredSecrets(row.endpointId(), resealSecret(row.secret(), context),
                        row.previousSecret() == null ? null : resealSecret(row.previousSecret(), context)));
            } catch (SecretsCipher.Unreadable e) {
                unreadable.add(e);
            }
        }
        if (!unreadable.isEmpty()) {
            return Mono.error(new KeyMismatch(refusal(unreadable)));
        }
        return Flux.fromIterable(sealed)
                .concatMap(row -> Sql.update(c, "update webhook_endpoints set secret = $2, previous_secret = $3 where id = $1",
                        row.endpointId(), row.secret(), row.previousSecret() == null ? new Sql.Null(String.class) : row.previousSecret()))
                .then();
    }

    /**
     * Seals the create responses stored in clear by earlier versions (they begin with the endpoint's
     * id and show its secret) and those under a key other than the current one.
     */
    private Mono<Integer> sealResponses(Connection c) {
        return Sql.query(c, "select scope, key, response_body from idempotency_keys"
                                + " where ((response_body like 'v1:%' or response_body like 'v2:%') and response_body not like $1)"
                                + " or (response_body like '{\"id\":\"we\\_%' and response_body like '%\"secret\":\"whsec\\_%')"
                                + " for update",
                        row -> new StoredResponse(row.get("scope", String.class), row.get("key", String.class),
                                row.get("response_body", String.class)),
                        cipher.currentPrefix() + "%")
                // Read them all before writing: one connection runs one statement at a time.
                .collectList()
                .flatMapIterable(rows -> rows)
                .concatMap(row -> {
                    String context = WebhookEndpoints.responseContext(row.scope(), row.key());
                    String sealed;
                    try {
                        sealed = reseal(row.body(), context);
                    } catch (SecretsCipher.Unreadable e) {
                        log.warn("A stored webhook endpoint create response stays as it is: {}", e.getMessage());
                        return Mono.empty();
                    }
                    return Sql.update(c, "update idempotency_keys set response_body = $3 where scope = $1 and key = $2",
                            row.scope(), row.key(), sealed);
                })
                .count()
                .map(Long::intValue);
    }

    /** Like {@link #reseal}, for a signing secret, which must open to a {@code whsec_…} secret. */
    private String resealSecret(String stored, String context) {
        if (cipher.isCurrent(stored)) {
            return stored;
        }
        String secret = cipher.open(stored, context);
        if (!secret.startsWith(WebhookSecrets.PREFIX)) {
            throw new SecretsCipher.Unreadable(context, "is not a " + WebhookSecrets.PREFIX + " secret, sealed or in clear", null);
        }
        return cipher.seal(secret, context);
    }

    private String reseal(String stored, String context) {
        return cipher.isCurrent(stored) ? stored : cipher.seal(cipher.open(stored, context), context);
    }

    private String refusal(List<SecretsCipher.Unreadable> unreadable) {
        String listed = unreadable.stream().limit(LISTED_MAX)
                .map(e -> e.fingerprint() != null && !cipher.knows(e.fingerprint())
                        ? e.context() + " is under key " + e.fingerprint()
                        : e.getMessage())
                .collect(Collectors.joining("; "));
        return unreadable.size() + " stored webhook secret" + (unreadable.size() == 1 ? "" : "s") + " cannot be read with the"
                + " configured keys (" + cipher.configuredKeys() + "): " + listed + (unreadable.size() > LISTED_MAX ? "; …" : "")
                + ". Webhooks cannot be signed without them. Set " + cipher.currentKey().label() + " to the key they were"
                + " written with; to change keys, set the new key there and the old one as the previous key, start once, then"
                + " remove the previous key.";
    }
}
