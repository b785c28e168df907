package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.core.codec.PublicEventJson;
import dev.ledgerflow.core.codec.PublicEvent;
import dev.ledgerflow.core.eventstore.postgres.PostgresUnavailable;
import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * A member of the stream's consumer group. It works a page at a time: the entries one read brings
 * ({@code XREADGROUP … COUNT n}, or an {@code XAUTOCLAIM} page) are taken in PostgreSQL in one
 * statement, each delivery under a lock token of its own for one attempt; the signed events are
 * POSTed concurrently; outcomes are recorded in batches as they come in (one statement for a batch)
 * and only then are their entries acknowledged ({@code XACK}, then {@code XDEL}, each once per
 * batch). An entry whose delivery was not taken because it is finished or not due is a duplicate,
 * acknowledged at once; one whose delivery is held by an attempt (in flight here or elsewhere, or
 * held by a worker that died) stays pending and is reclaimed again. A worker that dies in between
 * leaves its entries pending in the group; after the visibility timeout any worker reclaims them
 * ({@code XAUTOCLAIM}) and attempts them again once the dead worker's holds in PostgreSQL have run
 * out. Those start when the worker claimed, a moment after Redis handed it the entries, so the first
 * reclaim can come just before they end: the entries then wait for the next one. A missing stream or group
 * ({@code NOGROUP}) is recreated and refilled by {@link DeliveryScheduler#restoreQueue()}.
 *
 * <p>A worker holds at most {@link WebhookSettings#concurrency()} deliveries at once, from their claim
 * until their outcome is recorded and acknowledged: a read asks for no more entries than there are
 * free places, so a delivery taken is attempted at once and its hold covers its attempt, as when
 * deliveries were taken one by one. Outcomes wait at most {@link #RECORD_WAIT} for others to share
 * their statement, so a slow receiver never holds back the record of the others.
 *
 * <p>Blocking reads ({@code XREADGROUP … BLOCK}) use a connection of their own, so they never hold
 * up the shared connection's other commands.
 *
 * <p>While PostgreSQL is unavailable (down, restarting, read-only) a page's claim, and a batch's
 * record, are tried again with a backoff for up to half the visibility timeout instead of being left
 * at once to the reclaim: the page loop then waits (reading no more entries) and carries on by itself
 * when the database is back. A reclaim that found entries is followed by another at once, so a
 * backlog of abandoned entries is taken over in one go, not one page per half visibility timeout.
 */
public final class DeliveryWorker implements Disposable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
    private static final Duration FAILURE_PAUSE = Duration.ofMillis(500);
    /** The longest an outcome waits for others to be recorded with it. */
    static final Duration RECORD_WAIT = Duration.ofMillis(5);
    private static final Duration UNAVAILABLE_RETRY_FIRST = Duration.ofMillis(200);
    private static final Duration UNAVAILABLE_RETRY_MAX = Duration.ofSeconds(2);

    private final String consumer;
    private final WebhookDeliveries deliveries;
    private final WebhookQueue queue;
    private final DeliveryScheduler scheduler;
    private final WebhookSender sender;
    private final DestinationGuard guard;
    private final RetryPolicy policy;
    private final WebhookSettings settings;
    private final WebhookMetrics metrics;
    private final Clock clock;
    private final SharedRedisConnection reader;
    private final Places places;
    private volatile Disposable running;
    private volatile boolean readFailing;
    /** The last reclaim found entries: there may be more. */
    private final AtomicBoolean reclaimAgain = new AtomicBoolean();

    public DeliveryWorker(String consumer, RedisClient client, RedisURI uri, WebhookDeliveries deliveries, WebhookQueue queue,
            DeliveryScheduler scheduler, WebhookSender sender, WebhookSettings settings, WebhookMetrics metrics, Clock clock) {
        this.consumer = consumer;
        this.deliveries = deliveries;
        this.queue = queue;
        this.scheduler = scheduler;
        this.sender = sender;
        this.guard = new DestinationGuard(settings.allowPrivateDestinations());
        this.policy = new RetryPolicy(settings);
        this.settings = settings;
        this.metrics = metrics;
        this.clock = clock;
        this.reader = new SharedRedisConnection(client, uri);
        this.places = new Places(settings.concurrency());
    }

    /** A consumer name unique to this process: its entries can be told apart, and reclaimed, after it dies. */
    public static String consumerName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "local");
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String consumer() {
        return consumer;
    }

    /** Where a page of entries comes from: new entries, or those of crashed consumers. */
    private enum Source { READ, RECLAIM }

    /** A delivery this worker holds, and the stream entries that carried it. */
    private record Held(WebhookDeliveries.Claimed claimed, List<String> entryIds) {}

    /** An attempt made, its outcome to record, and the retry policy's decision behind it. */
    private record Attempted(Held held, WebhookDeliveries.Outcome outcome, RetryPolicy.Decision decision) {}

    public synchronized DeliveryWorker start() {
        if (running != null && !running.isDisposed()) {
            return this;
        }
        long reclaimEveryNanos = settings.visibilityTimeout().dividedBy(2).toNanos();
        AtomicLong nextReclaimNanos = new AtomicLong(System.nanoTime() + reclaimEveryNanos);
        // One page at a time: new entries, and every half visibility timeout a reclaim instead (again
        // at once while reclaims find entries).
        Flux<Source> turns = Flux.generate(sink -> {
            long now = System.nanoTime();
            if (reclaimAgain.getAndSet(false) || now - nextReclaimNanos.get() >= 0) {
                nextReclaimNanos.set(now + reclaimEveryNanos);
                sink.next(Source.RECLAIM);
            } else {
                sink.next(Source.READ);
            }
        });
        running = scheduler.restoreQueue()
                .onErrorResume(error -> Mono.empty()) // Redis may be down at start; reading retries
                .thenMany(turns)
                .concatMap(this::takePage, 1)
                // Bounded by the places: never more than settings.concurrency() deliveries held.
                .flatMap(this::attempt, Integer.MAX_VALUE)
                .bufferTimeout(settings.concurrency(), RECORD_WAIT, true)
                .concatMap(this::record)
                .subscribe(null, error -> log.error("Webhook worker {} stopped", consumer, error));
        log.info("Webhook worker {} reading {}", consumer, queue.key());
        return this;
    }

    /** Waits for a free place, reads a page of at most as many entries as there are places, and takes their deliveries. */
    private Flux<Held> takePage(Source source) {
        return places.free()
                .flatMap(free -> read(source, free))
                .flatMapMany(this::take);
    }

    private Mono<List<StreamMessage<String, String>>> read(Source source, int count) {
        Flux<StreamMessage<String, String>> entries = switch (source) {
            case READ -> reader.commands()
                    .flatMapMany(c -> queue.read(c, consumer, count, settings.readBlock()))
                    .doOnComplete(() -> readFailing = false);
            case RECLAIM -> queue.reclaim(consumer, settings.visibilityTimeout(), count)
                    .collectList()
                    .doOnNext(page -> reclaimAgain.set(!page.isEmpty()))
                    .flatMapIterable(page -> page);
        };
        return entries.collectList().onErrorResume(error -> recover(error).thenReturn(List.of()));
    }

    /**
     * Takes the deliveries of a page of entries in one statement. Entries whose delivery was not
     * taken because it is finished or not due are duplicates, acknowledged at once; so are entries
     * without a delivery. Entries whose delivery another attempt holds are left pending, to be
     * reclaimed after the visibility timeout: acknowledged, a dead worker's delivery would wait for the
     * scheduler's requeue (minutes) instead. Deliveries of a disabled endpoint are ended without an attempt. When the
     * database fails, the entries stay unacknowledged and are reclaimed later. A delivery whose endpoint
     * secret does not open (a wrong or missing key) is dead at once ({@code secret_unreadable}), its
     * entries acknowledged: retried, it would fail the same way for ever.
     */
    Flux<Held> take(List<StreamMessage<String, String>> page) {
        if (page.isEmpty()) {
            return Flux.empty();
        }
        Map<String, List<String>> entriesByDelivery = new LinkedHashMap<>();
        List<String> duplicates = new ArrayList<>();
        for (StreamMessage<String, String> entry : page) {
            String deliveryId = entry.getBody().get(WebhookQueue.FIELD);
            if (deliveryId == null) {
                duplicates.add(entry.getId());
            } else {
                entriesByDelivery.computeIfAbsent(deliveryId, id -> new ArrayList<>()).add(entry.getId());
            }
        }
        return deliveries.claim(entriesByDelivery.keySet(), settings.visibilityTimeout())
                .retryWhen(whileUnavailable())
                .flatMapMany(claims -> {
                    Set<String> taken = new HashSet<>(claims.unopened().keySet());
                    List<Held> held = new ArrayList<>();
                    List<Held> abandoned = new ArrayList<>();
                    for (WebhookDeliveries.Claimed claimed : claims.claimed()) {
                        taken.add(claimed.deliveryId());
                        Held one = new Held(claimed, entriesByDelivery.get(claimed.deliveryId()));
                        (claimed.endpointEnabled() ? held : abandoned).add(one);
                    }
                    List<String> notTaken = entriesByDelivery.keySet().stream().filter(id -> !taken.contains(id)).toList();
                    claims.unopened().forEach((deliveryId, unopened) -> log.error(
                            "Webhook delivery {} is dead: its endpoint's secret cannot be decrypted ({})", deliveryId,
                            unopened.reason()));
                    Mono<Void> dropDuplicates = deliveries.heldByAnAttempt(notTaken)
                            .flatMap(heldIds -> {
                                Set<String> stillHeld = new HashSet<>(heldIds);
                                notTaken.stream().filter(id -> !stillHeld.contains(id))
                                        .forEach(id -> duplicates.addAll(entriesByDelivery.get(id)));
                                return acknowledge(duplicates);
                            })
                            .onErrorResume(error -> Mono.empty()); // left pending: reclaimed and looked at again
                    return Mono.when(abandon(abandoned), endUnreadable(claims.unopened(), entriesByDelivery), dropDuplicates)
                            .thenMany(Flux.defer(() -> {
                                places.take(held.size());
                                return Flux.fromIterable(held);
                            }));
                })
                .onErrorResume(error -> {
                    log.warn("Webhook deliveries {} not taken ({}); their entries will be reclaimed", entriesByDelivery.keySet(),
                            error.toString());
                    return Flux.empty();
                });
    }

    /**
     * Ends, dead, the deliveries whose endpoint secret does not open, and acknowledges their entries:
     * left unacknowledged they were reclaimed and failed again for ever.
     */
    private Mono<Void> endUnreadable(Map<String, WebhookDeliveries.Unopened> unopened, Map<String, List<String>> entriesByDelivery) {
        if (unopened.isEmpty()) {
            return Mono.empty();
        }
        return deliveries.endUnreadable(unopened)
                .doOnSuccess(done -> unopened.forEach((id, one) -> metrics.outcome(WebhookDeliveries.SECRET_UNREADABLE)))
                .then(Mono.defer(() -> acknowledge(unopened.keySet().stream()
                        .flatMap(id -> entriesByDelivery.get(id).stream()).toList())))
                .onErrorResume(error -> {
                    log.warn("Webhook deliveries with unreadable secrets not ended ({}); their entries will be reclaimed",
                            error.toString());
                    return Mono.empty();
                });
    }

    private Mono<Void> abandon(List<Held> abandoned) {
        if (abandoned.isEmpty()) {
            return Mono.empty();
        }
        return deliveries.abandon(abandoned.stream().map(Held::claimed).toList(), "the endpoint is disabled")
                .doOnSuccess(done -> abandoned.forEach(one -> metrics.outcome("abandoned")))
                .then(Mono.defer(() -> acknowledge(entryIds(abandoned))))
                .onErrorResume(error -> {
                    log.warn("Webhook deliveries of disabled endpoints not ended ({}); their entries will be reclaimed",
                            error.toString());
                    return Mono.empty();
                });
    }

    /** One attempt; never fails: an unexpected error gives the place back and leaves the entries to be reclaimed. */
    private Mono<Attempted> attempt(Held held) {
        WebhookDeliveries.Claimed claimed = held.claimed();
        Instant startedAt = clock.instant();
        // A refused destination is a failed attempt like any other: the URL or its DNS may be fixed.
        return Mono.fromCallable(() -> DestinationGuard.parse(claimed.url()))
                .flatMap(guard::vet)
                .flatMap(destination -> send(claimed, destination, startedAt))
                .onErrorResume(DestinationGuard.Refused.class, refused ->
                        Mono.just(new AttemptResult(startedAt, Duration.ZERO, null, null, refused.getMessage(), null)))
                .map(result -> decide(held, result))
                .onErrorResume(error -> {
                    log.warn("Webhook delivery {} not finished ({}); its entries {} will be reclaimed", claimed.deliveryId(),
                            error.toString(), held.entryIds());
                    places.give(1);
                    return Mono.empty();
                });
    }

    private Mono<AttemptResult> send(WebhookDeliveries.Claimed claimed, DestinationGuard.Destination destination, Instant startedAt) {
        String webhookId = PublicEvent.idOf(claimed.event());
        long timestamp = startedAt.getEpochSecond();
        byte[] body = PublicEventJson.of(claimed.event());
        Map<String, String> headers = Map.of(
                "webhook-id", webhookId,
                "webhook-timestamp", Long.toString(timestamp),
                "webhook-signature", WebhookSecrets.signatureHeader(claimed.signingSecrets(), webhookId, timestamp, body));
        return sender.post(destination, headers, body, startedAt);
    }

    private Attempted decide(Held held, AttemptResult result) {
        metrics.attempt(result);
        WebhookDeliveries.Claimed claimed = held.claimed();
        RetryPolicy.Decision decision = policy.decide(claimed.roundAttempts() + 1, result, ThreadLocalRandom.current()::nextDouble);
        WebhookDeliveries.Outcome outcome = switch (decision) {
            case RetryPolicy.Decision.Succeeded succeeded ->
                    new WebhookDeliveries.Outcome(claimed, result, WebhookDeliveries.SUCCEEDED, null, false);
            case RetryPolicy.Decision.Retry retry ->
                    new WebhookDeliveries.Outcome(claimed, result, WebhookDeliveries.FAILED, retry.delay(), false);
            case RetryPolicy.Decision.Dead dead ->
                    new WebhookDeliveries.Outcome(claimed, withError(result, dead.reason()), WebhookDeliveries.DEAD, null, false);
            case RetryPolicy.Decision.EndpointGone gone ->
                    new WebhookDeliveries.Outcome(claimed, result, WebhookDeliveries.DEAD, null, true);
        };
        return new Attempted(held, outcome, decision);
    }

    private static AttemptResult withError(AttemptResult result, String reason) {
        String error = result.error() == null ? reason : result.error() + "; " + reason;
        return new AttemptResult(result.startedAt(), result.duration(), result.statusCode(), result.retryAfter(), error,
                result.responseExcerpt());
    }

    /**
     * Records a batch of outcomes in one statement, then acknowledges their entries at once. When the
     * database fails, the entries stay unacknowledged and are reclaimed later. Either way the batch's
     * places are free afterwards.
     */
    private Mono<Void> record(List<Attempted> batch) {
        return Flux.fromIterable(oneOutcomePerDelivery(batch))
                .concatMap(round -> deliveries.record(round.stream().map(Attempted::outcome).toList())
                        .retryWhen(whileUnavailable())
                        .then(Mono.fromRunnable(() -> round.forEach(this::recorded)))
                        .then(Mono.defer(() -> acknowledge(entryIds(round.stream().map(Attempted::held).toList()))))
                        .onErrorResume(error -> {
                            log.warn("Webhook outcomes of {} not recorded ({}); their entries will be reclaimed",
                                    round.stream().map(a -> a.held().claimed().deliveryId()).toList(), error.toString());
                            return Mono.empty();
                        }))
                .then()
                .doFinally(signal -> places.give(batch.size()));
    }

    /**
     * Splits a batch so that no part holds two outcomes of one delivery (one statement updates a row
     * once). That takes a delivery taken again by this worker after its hold ran out, before the first
     * outcome was recorded: rare, but each attempt is still logged.
     */
    private static List<List<Attempted>> oneOutcomePerDelivery(List<Attempted> batch) {
        List<List<Attempted>> rounds = new ArrayList<>();
        List<Set<String>> idsOfRounds = new ArrayList<>();
        for (Attempted attempted : batch) {
            String deliveryId = attempted.held().claimed().deliveryId();
            int round = 0;
            while (round < rounds.size() && idsOfRounds.get(round).contains(deliveryId)) {
                round++;
            }
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
                idsOfRounds.add(new HashSet<>());
            }
            rounds.get(round).add(attempted);
            idsOfRounds.get(round).add(deliveryId);
        }
        return rounds;
    }

    private void recorded(Attempted attempted) {
        WebhookDeliveries.Claimed claimed = attempted.held().claimed();
        switch (attempted.decision()) {
            case RetryPolicy.Decision.Succeeded succeeded -> metrics.outcome("succeeded");
            case RetryPolicy.Decision.Retry retry -> metrics.outcome("retry_scheduled");
            case RetryPolicy.Decision.Dead dead -> {
                metrics.outcome("dead");
                log.info("Webhook delivery {} to {} is dead: {}", claimed.deliveryId(), claimed.endpointId(), dead.reason());
            }
            case RetryPolicy.Decision.EndpointGone gone -> {
                metrics.outcome("endpoint_gone");
                log.info("Webhook endpoint {} answered 410 Gone: disabled", claimed.endpointId());
            }
        }
    }

    /**
     * Tries again while PostgreSQL is unavailable, for up to half the visibility timeout (the holds of
     * a claimed page last the whole of it); any other error, or a longer outage, is left to the reclaim.
     */
    private Retry whileUnavailable() {
        return Retry.from(signals -> Flux.defer(() -> {
            long deadline = System.nanoTime() + settings.visibilityTimeout().dividedBy(2).toNanos();
            return signals.concatMap(signal -> {
                if (!PostgresUnavailable.explains(signal.failure()) || System.nanoTime() > deadline) {
                    return Mono.error(signal.failure());
                }
                long backoffMs = Math.min(UNAVAILABLE_RETRY_MAX.toMillis(),
                        UNAVAILABLE_RETRY_FIRST.toMillis() << Math.min(signal.totalRetries(), 4));
                return Mono.delay(Duration.ofMillis(backoffMs));
            });
        }));
    }

    private static List<String> entryIds(List<Held> held) {
        return held.stream().flatMap(one -> one.entryIds().stream()).toList();
    }

    private Mono<Void> acknowledge(List<String> entryIds) {
        // The outcomes are recorded: if the stream is gone meanwhile there is nothing left to acknowledge.
        return queue.acknowledge(entryIds).onErrorResume(error -> {
            log.debug("Could not acknowledge webhook entries {}: {}", entryIds, error.toString());
            return Mono.empty();
        });
    }

    /**
     * The deliveries this worker may still take: {@link WebhookSettings#concurrency()} less those it
     * holds, from their claim until their outcome is recorded. Only the page loop takes places, one
     * page at a time, so it never takes more than {@link #free()} said were free.
     */
    private static final class Places {

        private final AtomicInteger free;
        private final Sinks.Many<Boolean> given = Sinks.many().multicast().directBestEffort();

        Places(int count) {
            this.free = new AtomicInteger(count);
        }

        /** How many places are free, once at least one is. */
        Mono<Integer> free() {
            // Listens before it looks, so a place given back in between is not missed. Concurrent
            // gives may drop a signal, but only while another one is being delivered.
            return Flux.merge(given.asFlux(), Mono.just(true))
                    .map(signal -> free.get())
                    .filter(count -> count > 0)
                    .next();
        }

        void take(int count) {
            free.addAndGet(-count);
        }

        void give(int count) {
            free.addAndGet(count);
            given.tryEmitNext(true);
        }
    }

    /** After a failed read or reclaim: recreate a lost stream, or pause while Redis is away. */
    private Mono<Void> recover(Throwable error) {
        if (WebhookQueue.isNoGroup(error)) {
            log.warn("Webhook stream {} or its group is missing (Redis flushed or restarted empty); restoring it", queue.key());
            return scheduler.restoreQueue().onErrorResume(e -> Mono.delay(FAILURE_PAUSE).then());
        }
        if (!readFailing) {
            readFailing = true;
            log.warn("Webhook worker {} cannot read the stream: {}; retrying", consumer, error.toString());
        }
        return Mono.delay(FAILURE_PAUSE).then();
    }

    @Override
    public void dispose() {
        Disposable current = running;
        if (current != null) {
            current.dispose();
        }
        reader.close();
    }

    @Override
    public boolean isDisposed() {
        Disposable current = running;
        return current == null || current.isDisposed();
    }
}
