package dev.ledgerflow.projections.webhook;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The deliveries of events to endpoints and the log of their attempts, in PostgreSQL: the source of
 * truth of what is owed to whom. The Redis stream only carries delivery ids to workers; everything a
 * worker needs, and everything it learns, is here.
 *
 * <p>Statuses: {@code pending} (waiting for its first attempt, or put back by a manual retry or a
 * replay), {@code failed} (the last attempt failed; {@code next_attempt_at} says when the next one is
 * due), {@code succeeded}, and {@code dead} (no more automatic attempts). An attempt in flight holds
 * its delivery with a lock token until {@code locked_until}, the visibility timeout, so that a
 * duplicate stream entry never causes a second concurrent POST.
 */
public final class WebhookDeliveries {

    public static final String PENDING = "pending";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String DEAD = "dead";
    public static final List<String> STATUSES = List.of(PENDING, SUCCEEDED, FAILED, DEAD);

    private static final String COLUMNS = "id, endpoint_id, merchant_id, event_id, event_position, event_type, status,"
            + " attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, created_at, updated_at";
    private static final String MS = "::float8 * interval '1 millisecond'";

    private final Sql sql;
    private final SecretsCipher cipher;

    /** @param cipher opens the endpoints' stored secrets to sign with */
    public WebhookDeliveries(ConnectionFactory connections, SecretsCipher cipher) {
        this.sql = new Sql(connections);
        this.cipher = cipher;
    }

    /** A delivery as the API shows it. */
    public record Delivery(
            String id,
            String endpointId,
            String merchantId,
            UUID eventId,
            long eventPosition,
            String eventType,
            String status,
            int attempts,
            Instant nextAttemptAt,
            Instant lastAttemptAt,
            Integer lastStatusCode,
            String lastError,
            Instant createdAt,
            Instant updatedAt) {}

    /** One logged attempt. */
    public record Attempt(
            int attempt, Instant startedAt, long durationMs, Integer statusCode, String error, String responseBody) {}

    /**
     * A delivery a worker holds for one attempt: what to send, where, and with which secrets.
     *
     * @param roundAttempts attempts made since the schedule last (re)started, before this one
     * @param lockToken proves the hold when the outcome is recorded
     */
    public record Claimed(
            String deliveryId,
            UUID lockToken,
            int roundAttempts,
            String endpointId,
            String url,
            boolean endpointEnabled,
            List<String> signingSecrets,
            RecordedEvent event) {

        /** Without the secrets: a claim may end up in a log line or an exception message. */
        @Override
        public String toString() {
            return "Claimed[deliveryId=" + deliveryId + ", endpointId=" + endpointId + ", url=" + url + ", roundAttempts="
                    + roundAttempts + ", signingSecrets=(" + signingSecrets.size() + " hidden), event=" + event.eventId() + "]";
        }
    }

    /** Queue figures for operators. */
    public record Stats(long pending, long scheduledRetries, long dead, long due, Duration oldestDueAge) {}

    /** The id of the delivery of an event to an endpoint; the same as the database function {@code webhook_delivery_id}. */
    public static String deliveryId(UUID eventId, String endpointId) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((eventId + ":" + endpointId).getBytes(StandardCharsets.UTF_8));
            return "wd_" + HexFormat.of().formatHex(hash).substring(0, 26);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /** One public event to dispatch, with the merchant it belongs to. */
    public record Dispatch(RecordedEvent event, String merchantId) {}

    /**
     * Creates the deliveries of public events, in one statement: one per enabled endpoint of the
     * event's merchant that subscribes to its type and existed when the event was recorded. Answers
     * the ids created, marked as enqueued (the caller puts them on the stream); a delivery that exists
     * already (an event handed over again) is left alone.
     */
    public Flux<String> createForEvents(List<Dispatch> dispatches) {
        if (dispatches.isEmpty()) {
            return Flux.empty();
        }
        int n = dispatches.size();
        String[] merchants = new String[n];
        UUID[] eventIds = new UUID[n];
        Long[] positions = new Long[n];
        String[] types = new String[n];
        String[] recordedAt = new String[n];
        for (int i = 0; i < n; i++) {
            RecordedEvent event = dispatches.get(i).event();
            merchants[i] = dispatches.get(i).merchantId();
            eventIds[i] = event.eventId();
            positions[i] = event.position();
            types[i] = event.type();
            recordedAt[i] = event.recordedAt().toString();
        }
        return sql.query("insert into webhook_deliveries (id, endpoint_id, merchant_id, event_id, event_position, event_type,"
                        + " status, next_attempt_at, enqueued_at)"
                        + " select webhook_delivery_id(ev.event_id, e.id), e.id, e.merchant_id, ev.event_id, ev.position,"
                        + " ev.type, 'pending', now(), now()"
                        + " from unnest($1::text[], $2::uuid[], $3::int8[], $4::text[], $5::text[])"
                        + " as ev(merchant_id, event_id, position, type, recorded_at)"
                        + " join webhook_endpoints e on e.merchant_id = ev.merchant_id"
                        + " where e.status = 'enabled' and e.deleted_at is null and e.created_at <= ev.recorded_at::timestamptz"
                        + " and ('*' = any(e.event_types) or ev.type = any(e.event_types))"
                        + " order by ev.position, e.id"
                        + " on conflict do nothing returning id",
                row -> row.get("id", String.class),
                merchants, eventIds, positions, types, recordedAt);
    }

    /** Forgets that these deliveries were enqueued (putting them on the stream failed), so the scheduler adds them. */
    public Mono<Void> markNotEnqueued(List<String> ids) {
        if (ids.isEmpty()) {
            return Mono.empty();
        }
        return sql.update("update webhook_deliveries set enqueued_at = null where id = any($1)", (Object) ids.toArray(String[]::new))
                .then();
    }

    /**
     * Due deliveries to put on the stream, marked as enqueued: never enqueued, or enqueued longer ago
     * than {@code requeueAfter} (the entry may be lost), and not held by an attempt.
     */
    public Flux<String> takeDue(int limit, Duration requeueAfter) {
        return sql.query("update webhook_deliveries set enqueued_at = now() where id in ("
                        + " select id from webhook_deliveries"
                        + " where status in ('pending', 'failed') and next_attempt_at <= now()"
                        + " and (enqueued_at is null or enqueued_at < now() - $1" + MS + ")"
                        + " and (locked_until is null or locked_until < now())"
                        + " order by next_attempt_at limit $2 for update skip locked)"
                        + " returning id",
                row -> row.get("id", String.class), requeueAfter.toMillis(), limit);
    }

    /** Every due delivery not held by an attempt, marked as enqueued: to refill a stream that was lost. */
    public Flux<String> takeAllDue() {
        return sql.query("update webhook_deliveries set enqueued_at = now()"
                        + " where status in ('pending', 'failed') and next_attempt_at <= now()"
                        + " and (locked_until is null or locked_until < now())"
                        + " returning id",
                row -> row.get("id", String.class));
    }

    /**
     * Takes the delivery for one attempt if it is due and nobody holds it; empty otherwise (done
     * already, not due yet, or held by another worker: the stream entry is then a duplicate). Fails
     * with {@link SecretsCipher.Unreadable} when the endpoint's stored secret does not open: nothing
     * is sent unsigned or signed with anything else, and the entry is retried after the hold.
     */
    public Mono<Claimed> claim(String deliveryId, UUID lockToken, Duration hold) {
        return sql.query("update webhook_deliveries d set locked_until = now() + $3" + MS + ", lock_token = $2,"
                        + " updated_at = now()"
                        + " from webhook_endpoints e, events ev"
                        + " where d.id = $1 and e.id = d.endpoint_id and ev.event_id = d.event_id"
                        + " and d.status in ('pending', 'failed') and d.next_attempt_at <= now()"
                        + " and (d.locked_until is null or d.locked_until < now())"
                        + " returning d.id, d.round_attempts, e.id as endpoint_id, e.url, e.status as endpoint_status,"
                        + " e.secret, e.previous_secret, e.previous_secret_expires_at, now() as now,"
                        + " ev.position, ev.txid::text as txid, ev.stream_id, ev.stream_version, ev.event_id, ev.type,"
                        + " ev.payload::text as payload, ev.metadata::text as metadata, ev.recorded_at",
                        row -> claimed(row, lockToken, cipher), deliveryId, lockToken, hold.toMillis())
                .next();
    }

    /**
     * Records an attempt and its consequence in one transaction: the attempt log row, the delivery's
     * new status and next attempt (only under the caller's hold, except that a success always
     * counts), and, after a 410, the endpoint disabled.
     *
     * @param status {@code succeeded}, {@code failed} (with {@code retryDelay}) or {@code dead}
     */
    public Mono<Void> record(Claimed claimed, AttemptResult result, String status, Duration retryDelay, boolean disableEndpoint) {
        Object delayMs = retryDelay == null ? new Sql.Null(Long.class) : (Object) retryDelay.toMillis();
        String lastError = result.error();
        return sql.inTransaction(c -> Sql.query(c, "update webhook_deliveries set attempts = attempts + 1,"
                                + " round_attempts = round_attempts + 1, status = $3,"
                                + " next_attempt_at = case when $3 in ('pending', 'failed') then now() + $4" + MS + " end,"
                                + " last_attempt_at = $5, last_status_code = $6, last_error = $7,"
                                + " locked_until = null, lock_token = null, enqueued_at = null, updated_at = now()"
                                + " where id = $1 and (lock_token = $2 or ($3 = 'succeeded' and status <> 'succeeded'))"
                                + " returning attempts",
                        row -> row.get("attempts", Integer.class),
                        claimed.deliveryId(), claimed.lockToken(), status, delayMs, result.startedAt(),
                        result.statusCode() == null ? new Sql.Null(Integer.class) : result.statusCode(),
                        lastError == null ? new Sql.Null(String.class) : lastError)
                        .next()
                        // Our hold expired and another worker took over: log the attempt, leave the outcome to it.
                        .switchIfEmpty(Sql.query(c, "update webhook_deliveries set attempts = attempts + 1, updated_at = now()"
                                + " where id = $1 returning attempts", row -> row.get("attempts", Integer.class),
                                claimed.deliveryId()).next())
                        .flatMap(attempt -> Sql.update(c, "insert into webhook_attempts (delivery_id, attempt, started_at,"
                                        + " duration_ms, status_code, error, response_body) values ($1, $2, $3, $4, $5, $6, $7)",
                                claimed.deliveryId(), attempt, result.startedAt(), result.duration().toMillis(),
                                result.statusCode() == null ? new Sql.Null(Integer.class) : result.statusCode(),
                                lastError == null ? new Sql.Null(String.class) : lastError,
                                result.responseExcerpt() == null ? new Sql.Null(String.class) : result.responseExcerpt()))
                        .then(disableEndpoint
                                ? Sql.update(c, "update webhook_endpoints set status = 'disabled',"
                                        + " disabled_reason = 'the endpoint answered 410 Gone', updated_at = now()"
                                        + " where id = $1 and status = 'enabled'", claimed.endpointId())
                                : Mono.just(0L)))
                .then();
    }

    /** Ends a delivery whose endpoint was disabled or deleted since, without an attempt. */
    public Mono<Void> abandon(Claimed claimed, String reason) {
        return sql.update("update webhook_deliveries set status = 'dead', next_attempt_at = null, last_error = $3,"
                        + " locked_until = null, lock_token = null, enqueued_at = null, updated_at = now()"
                        + " where id = $1 and lock_token = $2", claimed.deliveryId(), claimed.lockToken(), reason)
                .then();
    }

    /** Gives back a hold without an attempt (the worker is stopping), so the delivery can be taken at once. */
    public Mono<Void> release(Claimed claimed) {
        return sql.update("update webhook_deliveries set locked_until = null, lock_token = null, enqueued_at = null"
                        + " where id = $1 and lock_token = $2", claimed.deliveryId(), claimed.lockToken())
                .then();
    }

    public Mono<Delivery> find(String merchantId, String id) {
        return sql.query("select " + COLUMNS + " from webhook_deliveries where id = $1 and merchant_id = $2",
                        WebhookDeliveries::delivery, id, merchantId)
                .next();
    }

    /** A page of the merchant's deliveries, newest first, optionally of one endpoint or status. */
    public Flux<Delivery> list(String merchantId, String endpointId, String status, int limit, String startingAfter) {
        return sql.query("select " + COLUMNS + " from webhook_deliveries"
                        + " where merchant_id = $1 and ($2::text is null or endpoint_id = $2)"
                        + " and ($3::text is null or status = $3)"
                        + " and ($4::text is null or seq < (select seq from webhook_deliveries where id = $4 and merchant_id = $1))"
                        + " order by seq desc limit $5",
                WebhookDeliveries::delivery, merchantId, nullable(endpointId), nullable(status), nullable(startingAfter),
                limit);
    }

    /** The attempts of one of the merchant's deliveries, oldest first. */
    public Flux<Attempt> attempts(String merchantId, String deliveryId) {
        return sql.query("select a.attempt, a.started_at, a.duration_ms, a.status_code, a.error, a.response_body"
                        + " from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id"
                        + " where a.delivery_id = $1 and d.merchant_id = $2 order by a.id",
                row -> new Attempt(row.get("attempt", Integer.class), Sql.instant(row, "started_at"),
                        row.get("duration_ms", Integer.class), row.get("status_code", Integer.class),
                        row.get("error", String.class), row.get("response_body", String.class)),
                deliveryId, merchantId);
    }

    /**
     * Puts a finished delivery (succeeded, failed or dead) back as pending and due now, with a fresh
     * retry schedule. Empty when it is pending already or held by an attempt.
     */
    public Mono<Delivery> retry(String merchantId, String id) {
        return sql.query("update webhook_deliveries set status = 'pending', round_attempts = 0, next_attempt_at = now(),"
                        + " enqueued_at = null, updated_at = now()"
                        + " where id = $1 and merchant_id = $2 and status in ('succeeded', 'failed', 'dead')"
                        + " and (locked_until is null or locked_until < now())"
                        + " returning " + COLUMNS,
                        WebhookDeliveries::delivery, id, merchantId)
                .next();
    }

    /**
     * Sends the merchant's events after a position to one endpoint again: a delivery is added for
     * each event of a selected type that has none, and each finished one is put back as pending with
     * a fresh schedule. Returns how many deliveries are now due.
     */
    public Mono<Long> replay(String merchantId, String endpointId, List<String> types, long afterPosition) {
        return sql.query("with added as ("
                        + "  insert into webhook_deliveries (id, endpoint_id, merchant_id, event_id, event_position, event_type,"
                        + "   status, next_attempt_at)"
                        + "  select webhook_delivery_id(ev.event_id, $2), $2, $1, ev.event_id, ev.position, ev.type, 'pending', now()"
                        + "  from events ev"
                        + "  where ev.position > $3 and ev.metadata ->> 'merchant' = $1 and ev.type = any($4)"
                        + "  on conflict do nothing returning id),"
                        + " rearmed as ("
                        + "  update webhook_deliveries set status = 'pending', round_attempts = 0, next_attempt_at = now(),"
                        + "   enqueued_at = null, updated_at = now()"
                        + "  where endpoint_id = $2 and event_position > $3 and status in ('succeeded', 'failed', 'dead')"
                        + "  and (locked_until is null or locked_until < now()) returning id)"
                        + " select (select count(*) from added) + (select count(*) from rearmed) as n",
                        row -> row.get("n", Long.class), merchantId, endpointId, afterPosition, types.toArray(String[]::new))
                .single();
    }

    /** Queue figures over all merchants. */
    public Mono<Stats> stats() {
        return sql.query("select"
                        + " (select count(*) from webhook_deliveries where status = 'pending') as pending,"
                        + " (select count(*) from webhook_deliveries where status = 'failed') as failed,"
                        + " (select count(*) from webhook_deliveries where status = 'dead') as dead,"
                        + " (select count(*) from webhook_deliveries where status in ('pending', 'failed')"
                        + "   and next_attempt_at <= now()) as due,"
                        + " (select extract(epoch from now() - min(next_attempt_at)) * 1000 from webhook_deliveries"
                        + "   where status in ('pending', 'failed') and next_attempt_at <= now()) as oldest_ms",
                        row -> {
                            Number oldest = row.get("oldest_ms", Number.class);
                            return new Stats(row.get("pending", Long.class), row.get("failed", Long.class),
                                    row.get("dead", Long.class), row.get("due", Long.class),
                                    oldest == null ? Duration.ZERO : Duration.ofMillis(Math.max(0, oldest.longValue())));
                        })
                .single();
    }

    private static Claimed claimed(Readable row, UUID token, SecretsCipher cipher) {
        String endpointId = row.get("endpoint_id", String.class);
        String previousSecret = row.get("previous_secret", String.class);
        String context = WebhookEndpoints.secretContext(endpointId);
        var endpoint = new WebhookEndpoints.Endpoint(endpointId, null, row.get("url", String.class),
                null, List.of(), row.get("endpoint_status", String.class), null, cipher.open(row.get("secret", String.class), context),
                previousSecret == null ? null : cipher.open(previousSecret, context), Sql.instant(row, "previous_secret_expires_at"),
                null, null);
        RecordedEvent event = new RecordedEvent(
                new LogPosition(Long.parseLong(row.get("txid", String.class)), row.get("position", Long.class)),
                StreamId.of(row.get("stream_id", String.class)),
                row.get("stream_version", Long.class),
                row.get("event_id", UUID.class),
                row.get("type", String.class),
                row.get("payload", String.class),
                row.get("metadata", String.class),
                Sql.instant(row, "recorded_at"));
        return new Claimed(row.get("id", String.class), token, row.get("round_attempts", Integer.class), endpoint.id(),
                endpoint.url(), endpoint.enabled(), endpoint.signingSecrets(Sql.instant(row, "now")), event);
    }

    private static Delivery delivery(Readable row) {
        return new Delivery(
                row.get("id", String.class),
                row.get("endpoint_id", String.class),
                row.get("merchant_id", String.class),
                row.get("event_id", UUID.class),
                row.get("event_position", Long.class),
                row.get("event_type", String.class),
                row.get("status", String.class),
                row.get("attempts", Integer.class),
                Sql.instant(row, "next_attempt_at"),
                Sql.instant(row, "last_attempt_at"),
                row.get("last_status_code", Integer.class),
                row.get("last_error", String.class),
                Sql.instant(row, "created_at"),
                Sql.instant(row, "updated_at"));
    }

    private static Object nullable(String value) {
        return value == null ? new Sql.Null(String.class) : value;
    }
}
