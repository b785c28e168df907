package dev.ledgerflow.projections.webhook;

import dev.ledgerflow.projections.redis.SharedRedisConnection;
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

    /** Acknowledges and deletes an entry whose outcome is recorded. */
    public Mono<Void> acknowledge(String entryId) {
        return redis.commands()
                .flatMap(c -> c.xack(key, WebhookSettings.GROUP, entryId).then(c.xdel(key, entryId)))
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
