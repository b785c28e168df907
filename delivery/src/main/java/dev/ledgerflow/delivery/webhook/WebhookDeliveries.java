package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        this.sql = Sql.on(connections);
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
     * the ids created, marked as enqueued (the caller puts them on the stream). A delivery that exists
     * already (an event handed over again after a crash or a takeover) is answered again, marked as
     * enqueued anew, when it is still owed, due and not held by an attempt: the instance that created
     * it may have died between this statement's commit and its {@code XADD}, and without its entry it
     * would wait for the scheduler's requeue (minutes). One already on the stream gets a second entry,
     * which the claim treats as the duplicate it is. Finished, held or not-yet-due ones are left alone
     * (a failed delivery's next attempt is the scheduler's to enqueue).
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
                        + " on conflict (id) do update set enqueued_at = now()"
                        + " where webhook_deliveries.status in ('pending', 'failed') and webhook_deliveries.next_attempt_at <= now()"
                        + " and (webhook_deliveries.locked_until is null or webhook_deliveries.locked_until < now())"
                        + " returning id",
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
     * What one claim statement took: the deliveries now held for an attempt, and those taken whose
     * endpoint's stored secret does not open ({@link SecretsCipher.Unreadable}): nothing is sent for
     * them, unsigned or signed with anything else; their hold runs out and their entries are retried.
     * A delivery asked for and in neither list was not taken (the stream entry is a duplicate).
     */
    public record Claims(List<Claimed> claimed, Map<String, Unopened> unopened) {}

    /** A delivery taken whose endpoint secret did not open: the hold it was taken under, and why. */
    public record Unopened(UUID lockToken, String reason) {}

    /** The error a delivery ends with when its endpoint's secret cannot be decrypted. */
    public static final String SECRET_UNREADABLE = "secret_unreadable";

    /**
     * Takes the deliveries that are due and held by nobody, each for one attempt under a lock token
     * of its own, in one statement. The others (done already, not due yet, or held by another
     * worker: their stream entries are duplicates) are left alone.
     *
     * @param hold the visibility timeout: until then no other worker can take a delivery
     */
    public Mono<Claims> claim(Collection<String> deliveryIds, Duration hold) {
        if (deliveryIds.isEmpty()) {
            return Mono.just(new Claims(List.of(), Map.of()));
        }
        // Sorted, so that two workers taking overlapping pages lock the rows in the same order.
        String[] ids = deliveryIds.stream().distinct().sorted().toArray(String[]::new);
        return sql.query("update webhook_deliveries d set locked_until = now() + $2" + MS + ", lock_token = gen_random_uuid(),"
                        + " updated_at = now()"
                        + " from webhook_endpoints e, events ev"
                        + " where d.id = any($1::text[]) and e.id = d.endpoint_id and ev.event_id = d.event_id"
                        + " and d.status in ('pending', 'failed') and d.next_attempt_at <= now()"
                        + " and (d.locked_until is null or d.locked_until < now())"
                        + " returning d.id, d.lock_token, d.round_attempts, e.id as endpoint_id, e.url, e.status as endpoint_status,"
                        + " e.secret, e.previous_secret, e.previous_secret_expires_at, now() as now,"
                        + " ev.position, ev.txid::text as txid, ev.stream_id, ev.stream_version, ev.event_id, ev.type,"
                        + " ev.payload::text as payload, ev.metadata::text as metadata, ev.recorded_at",
                        row -> {
                            try {
                                return new Taken(claimed(row, cipher), null, null);
                            } catch (SecretsCipher.Unreadable unreadable) {
                                return new Taken(null, row.get("id", String.class),
                                        new Unopened(row.get("lock_token", UUID.class), unreadable.getMessage()));
                            }
                        }, ids, hold.toMillis())
                .collectList()
                .map(rows -> {
                    List<Claimed> claimed = new ArrayList<>();
                    Map<String, Unopened> unopened = new LinkedHashMap<>();
                    for (Taken row : rows) {
                        if (row.claimed() != null) {
                            claimed.add(row.claimed());
                        } else {
                            unopened.put(row.unopenedId(), row.unopened());
                        }
                    }
                    return new Claims(claimed, unopened);
                });
    }

    /**
     * Of these deliveries, those still owed and held by an attempt ({@code locked_until} not yet
     * passed): a stream entry of one is not a duplicate to drop but one to try again once the hold
     * runs out. A worker's hold starts when it claims, a moment after Redis handed it the entry, so
     * a reclaim can find the entry idle past the visibility timeout while the dead worker's hold
     * still runs.
     */
    public Mono<List<String>> heldByAnAttempt(Collection<String> deliveryIds) {
        if (deliveryIds.isEmpty()) {
            return Mono.just(List.of());
        }
        return sql.query("select id from webhook_deliveries where id = any($1::text[])"
                        + " and status in ('pending', 'failed') and locked_until >= now()",
                        row -> row.get("id", String.class), (Object) deliveryIds.toArray(String[]::new))
                .collectList();
    }

    /** One row of a claim: a delivery held, or one whose secret did not open. */
    private record Taken(Claimed claimed, String unopenedId, Unopened unopened) {}

    /**
     * What came of one attempt, to record.
     *
     * @param status {@code succeeded}, {@code failed} (with {@code retryDelay}) or {@code dead}
     * @param disableEndpoint the endpoint answered 410 Gone
     */
    public record Outcome(Claimed claimed, AttemptResult result, String status, Duration retryDelay, boolean disableEndpoint) {

        public Outcome {
            if (!List.of(SUCCEEDED, FAILED, DEAD).contains(status)) {
                throw new IllegalArgumentException("an attempt ends succeeded, failed or dead, not " + status);
            }
            if (status.equals(FAILED) != (retryDelay != null)) {
                throw new IllegalArgumentException("a failed attempt, and only a failed one, has a retry delay");
            }
        }
    }

    /**
     * Records attempts and their consequences, in one statement (so in one transaction): an attempt
     * log row each, each delivery's new status and next attempt, and the endpoints that answered 410
     * disabled. A delivery's outcome is applied only under the hold it was attempted under (its lock
     * token), except that a success always counts; when the hold has expired and another worker took
     * the delivery, the attempt is still counted and logged, and the outcome left to that worker.
     *
     * @param outcomes at most one per delivery
     */
    public Mono<Void> record(List<Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            return Mono.empty();
        }
        int n = outcomes.size();
        String[] ids = new String[n];
        UUID[] tokens = new UUID[n];
        String[] statuses = new String[n];
        Long[] delaysMs = new Long[n];
        String[] startedAt = new String[n];
        Long[] durationsMs = new Long[n];
        Integer[] statusCodes = new Integer[n];
        String[] errors = new String[n];
        String[] responses = new String[n];
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outcome outcome = outcomes.get(i);
            AttemptResult result = outcome.result();
            ids[i] = outcome.claimed().deliveryId();
            tokens[i] = outcome.claimed().lockToken();
            statuses[i] = outcome.status();
            delaysMs[i] = outcome.retryDelay() == null ? null : outcome.retryDelay().toMillis();
            startedAt[i] = result.startedAt().toString();
            durationsMs[i] = result.duration().toMillis();
            statusCodes[i] = result.statusCode();
            errors[i] = result.error();
            responses[i] = result.responseExcerpt();
            if (outcome.disableEndpoint() && !gone.contains(outcome.claimed().endpointId())) {
                gone.add(outcome.claimed().endpointId());
            }
        }
        if (Arrays.stream(ids).distinct().count() != n) {
            return Mono.error(new IllegalArgumentException("one outcome per delivery in a batch: " + Arrays.toString(ids)));
        }
        return sql.update("with outcome as ("
                        + "  select o.*, o.started_at_text::timestamptz as started_at"
                        + "  from unnest($1::text[], $2::uuid[], $3::text[], $4::int8[], $5::text[], $6::int8[], $7::int4[],"
                        + "   $8::text[], $9::text[]) with ordinality"
                        + "   as o(id, lock_token, status, retry_delay_ms, started_at_text, duration_ms, status_code, error,"
                        + "   response_body, n)),"
                        // under the hold it was attempted under (or a success, which always counts): the outcome
                        + " applied as ("
                        + "  update webhook_deliveries d set attempts = d.attempts + 1, round_attempts = d.round_attempts + 1,"
                        + "   status = o.status,"
                        + "   next_attempt_at = case when o.status = 'failed' then now() + o.retry_delay_ms" + MS + " end,"
                        + "   last_attempt_at = o.started_at, last_status_code = o.status_code, last_error = o.error,"
                        + "   locked_until = null, lock_token = null, enqueued_at = null, updated_at = now()"
                        + "  from outcome o"
                        + "  where d.id = o.id and (d.lock_token = o.lock_token or (o.status = 'succeeded' and d.status <> 'succeeded'))"
                        + "  returning d.id, d.attempts),"
                        // the hold expired and another worker took the delivery: count the attempt, leave the outcome to it
                        + " overtaken as ("
                        + "  update webhook_deliveries d set attempts = d.attempts + 1, updated_at = now()"
                        + "  from outcome o"
                        + "  where d.id = o.id and o.id not in (select id from applied)"
                        + "  returning d.id, d.attempts),"
                        + " gone as ("
                        + "  update webhook_endpoints set status = 'disabled', disabled_reason = 'the endpoint answered 410 Gone',"
                        + "   updated_at = now()"
                        + "  where id = any($10::text[]) and status = 'enabled')"
                        + " insert into webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)"
                        + " select o.id, a.attempts, o.started_at, o.duration_ms, o.status_code, o.error, o.response_body"
                        + " from outcome o join (select * from applied union all select * from overtaken) a on a.id = o.id"
                        + " order by o.n",
                        ids, tokens, statuses, delaysMs, startedAt, durationsMs, statusCodes, errors, responses,
                        gone.toArray(String[]::new))
                .then();
    }

    /** Ends deliveries whose endpoint was disabled or deleted since, without an attempt, in one statement. */
    public Mono<Void> abandon(List<Claimed> claimed, String reason) {
        if (claimed.isEmpty()) {
            return Mono.empty();
        }
        return sql.update("update webhook_deliveries d set status = 'dead', next_attempt_at = null, last_error = $3,"
                        + " locked_until = null, lock_token = null, enqueued_at = null, updated_at = now()"
                        + " from unnest($1::text[], $2::uuid[]) as h(id, lock_token)"
                        + " where d.id = h.id and d.lock_token = h.lock_token",
                        claimed.stream().map(Claimed::deliveryId).toArray(String[]::new),
                        claimed.stream().map(Claimed::lockToken).toArray(UUID[]::new), reason)
                .then();
    }

    /**
     * Ends deliveries whose endpoint secret cannot be decrypted (a wrong or missing key), dead at once
     * with {@value #SECRET_UNREADABLE} and the reason, without an attempt: nothing can be signed, and
     * retrying would only fail the same way for ever. Once the key is fixed, a manual retry or a replay
     * sends them.
     */
    public Mono<Void> endUnreadable(Map<String, Unopened> unopened) {
        if (unopened.isEmpty()) {
            return Mono.empty();
        }
        List<String> ids = new ArrayList<>(unopened.keySet());
        return sql.update("update webhook_deliveries d set status = 'dead', next_attempt_at = null,"
                        + " last_error = '" + SECRET_UNREADABLE + ": ' || h.reason,"
                        + " locked_until = null, lock_token = null, enqueued_at = null, updated_at = now()"
                        + " from unnest($1::text[], $2::uuid[], $3::text[]) as h(id, lock_token, reason)"
                        + " where d.id = h.id and d.lock_token = h.lock_token",
                        ids.toArray(String[]::new),
                        ids.stream().map(id -> unopened.get(id).lockToken()).toArray(UUID[]::new),
                        ids.stream().map(id -> unopened.get(id).reason()).toArray(String[]::new))
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

    private static Claimed claimed(Readable row, SecretsCipher cipher) {
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
        return new Claimed(row.get("id", String.class), row.get("lock_token", UUID.class), row.get("round_attempts", Integer.class), endpoint.id(),
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
