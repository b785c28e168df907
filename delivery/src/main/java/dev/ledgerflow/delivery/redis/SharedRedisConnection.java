package dev.ledgerflow.delivery.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.codec.StringCodec;
import reactor.core.publisher.Mono;

/**
 * One Redis connection shared by the whole service (Lettuce connections are thread-safe and
 * multiplexed). It is opened on first use, so the service starts while Redis is down; a failed
 * attempt is retried on the next use, and Lettuce reconnects an opened connection by itself.
 */
public final class SharedRedisConnection implements AutoCloseable {

    private final RedisClient client;
    private final Mono<StatefulRedisConnection<String, String>> connection;
    private volatile StatefulRedisConnection<String, String> opened;

    public SharedRedisConnection(RedisClient client, RedisURI uri) {
        this.client = client;
        this.connection = Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(StringCodec.UTF8, uri)))
                .doOnNext(c -> opened = c)
                .cacheInvalidateIf(c -> !c.isOpen());
    }

    /** The reactive command API of the shared connection. */
    public Mono<RedisReactiveCommands<String, String>> commands() {
        return connection.map(StatefulRedisConnection::reactive);
    }

    public RedisClient client() {
        return client;
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, String> current = opened;
        if (current != null) {
            current.close();
        }
    }
}
