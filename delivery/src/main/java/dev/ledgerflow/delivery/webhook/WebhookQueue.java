package dev.ledgerflow.delivery.webhook;

import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Redis stream that carries delivery ids to the workers of the consumer group {@link
 * WebhookSettings#GROUP}. An entry is only a pointer ({@code delivery = wd_…}); it is acknowledged
 * and deleted once the attempt's outcome is recorded in PostgreSQL, so the stream's length is the
 * work outstanding. Losing the stream loses nothing: it is refilled from PostgreSQL.
 */
public final class WebhookQueue {

    static final String FIELD = "delivery";

    private final SharedRedisConnection redis;
    private final String key;

    public WebhookQueue(SharedRedisConnection redis, String key) {
        this.redis = redis;
        this.key = key;
    }

    /** What Redis holds right now. */
    public record State(boolean groupExists, long length, long inFlight, long consumers) {}

    public String key() {
        return key;
    }

    /**
     * Creates the consumer group (and the stream) unless it exists; emits true when it had to be
     * created, which means the stream was lost (or never existed) and must be refilled. The group
     * starts at the stream's beginning, so entries added before it existed are delivered too.
     */
    public Mono<Boolean> ensureGroup() {
        return redis.commands()
                .flatMap(c -> c.xgroupCreate(StreamOffset.from(key, "0"), WebhookSettings.GROUP, new XGroupCreateArgs().mkstream(true)))
                .map(ok -> true)
                .onErrorResume(WebhookQueue::isBusyGroup, e -> Mono.just(false));
    }

    /** Appends one entry per delivery id. */
    public Mono<Void> add(List<String> deliveryIds) {
        if (deliveryIds.isEmpty()) {
            return Mono.empty();
        }
        return redis.commands()
                .flatMapMany(c -> Flux.fromIterable(deliveryIds).flatMapSequential(id -> c.xadd(key, Map.of(FIELD, id)), 64))
                .then();
    }

    /** New entries for a consumer, waiting up to {@code block}; call on a connection of its own, as it blocks it. */
    public Flux<StreamMessage<String, String>> read(
            RedisReactiveCommands<String, String> dedicated, String consumer, int count, Duration block) {
        return dedicated.xreadgroup(Consumer.from(WebhookSettings.GROUP, consumer),
                XReadArgs.Builder.count(count).block(block), StreamOffset.lastConsumed(key));
    }

    /** Takes over entries that other consumers (crashed ones) have held longer than {@code minIdle}. */
    public Flux<StreamMessage<String, String>> reclaim(String consumer, Duration minIdle, int count) {
        return redis.commands()
                .flatMap(c -> c.xautoclaim(key, new XAutoClaimArgs<String>()
                        .consumer(Consumer.from(WebhookSettings.GROUP, consumer))
                        .minIdleTime(minIdle)
                        .startId("0-0")
                        .count(count)))
                .flatMapIterable(ClaimedMessages::getMessages)
                // Redis 6.2 reports entries deleted meanwhile as empty ones: nothing to deliver.
                .filter(message -> message.getBody() != null && message.getBody().containsKey(FIELD));
    }

    /**
     * Removes from the group every consumer that holds no entry and has not read for {@code idleMin}.
     * Each worker process joins under a name of its own ({@link DeliveryWorker#consumerName()}), so
     * without this the group would list every process that ever ran. Entries a dead consumer still
     * held are first taken over by a live one ({@link #reclaim}); then it holds none and goes too.
     * Removing a live consumer is harmless: Redis adds it back at its next read, and an entry it read
     * in the instant between the two commands is finished by it or, failing that, put on the stream
     * again from PostgreSQL by the scheduler. Emits the names removed.
     */
    public Flux<String> forgetIdleConsumers(Duration idleMin) {
        return redis.commands()
                .flatMapMany(c -> c.xinfoConsumers(key, WebhookSettings.GROUP)
                        .map(WebhookQueue::consumerInfo)
                        .filter(consumer -> consumer.pending() == 0 && consumer.idleMillis() >= idleMin.toMillis())
                        .concatMap(consumer -> c.xgroupDelconsumer(key, Consumer.from(WebhookSettings.GROUP, consumer.name()))
                                .thenReturn(consumer.name())))
                .onErrorResume(error -> isNoGroup(error) || isNoStream(error), e -> Flux.empty());
    }

    private static boolean isNoStream(Throwable error) {
        return error instanceof RedisCommandExecutionException && error.getMessage() != null
                && error.getMessage().startsWith("ERR no such key");
    }

    /** One line of {@code XINFO CONSUMERS}. */
    record ConsumerInfo(String name, long pending, long idleMillis) {}

    /** {@code XINFO CONSUMERS} answers each consumer as a flat list of field names and values. */
    private static ConsumerInfo consumerInfo(Object reply) {
        String name = null;
        long pending = 0;
        long idle = 0;
        List<?> fields = (List<?>) reply;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            switch (String.valueOf(fields.get(i))) {
                case "name" -> name = String.valueOf(fields.get(i + 1));
                case "pending" -> pending = ((Number) fields.get(i + 1)).longValue();
                case "idle" -> idle = ((Number) fields.get(i + 1)).longValue();
                default -> { }
            }
        }
        if (name == null) {
            throw new IllegalStateException("XINFO CONSUMERS answered a consumer without a name: " + reply);
        }
        return new ConsumerInfo(name, pending, idle);
    }

    /** Acknowledges and deletes entries whose outcomes are recorded: one {@code XACK} and one {@code XDEL} for all of them. */
    public Mono<Void> acknowledge(List<String> entryIds) {
        if (entryIds.isEmpty()) {
            return Mono.empty();
        }
        String[] ids = entryIds.toArray(String[]::new);
        return redis.commands()
                .flatMap(c -> c.xack(key, WebhookSettings.GROUP, ids).then(c.xdel(key, ids)))
                .then();
    }

    public Mono<State> state() {
        return redis.commands().flatMap(c -> c.xlen(key).flatMap(length -> c.xpending(key, WebhookSettings.GROUP)
                .map(pending -> new State(true, length, pending.getCount(), pending.getConsumerMessageCount().size()))
                .onErrorResume(WebhookQueue::isNoGroup, e -> Mono.just(new State(false, length, 0, 0)))));
    }

    /** Redis answered that the stream or its group does not exist (flushed, restarted empty, deleted). */
    public static boolean isNoGroup(Throwable error) {
        return error instanceof RedisCommandExecutionException && error.getMessage() != null
                && error.getMessage().startsWith("NOGROUP");
    }

    private static boolean isBusyGroup(Throwable error) {
        return error instanceof RedisCommandExecutionException && error.getMessage() != null
                && error.getMessage().startsWith("BUSYGROUP");
    }
}
