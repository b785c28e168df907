package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.delivery.redis.SharedRedisConnection;
import dev.ledgerflow.testing.TestRedis;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The webhook stream's consumer group on a real Redis. */
class WebhookQueueTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final RedisURI uri = RedisURI.create(TestRedis.url());
    private final RedisClient client = RedisClient.create(uri);
    private final SharedRedisConnection shared = new SharedRedisConnection(client, uri);
    private final String key = "webhook-queue-test-" + UUID.randomUUID();
    private final WebhookQueue queue = new WebhookQueue(shared, key);
    private final RedisCommands<String, String> redis = client.connect().sync();

    @AfterEach
    void close() {
        redis.del(key);
        shared.close();
        client.shutdown();
    }

    @Test
    void consumers_that_hold_nothing_and_stopped_reading_are_removed_from_the_group_and_the_others_kept() throws Exception {
        queue.ensureGroup().block(WAIT);
        queue.add(List.of("wd_1", "wd_2", "wd_3")).block(WAIT);
        List<StreamMessage<String, String>> gone = read("worker-gone"); // a process that finished its entry and died
        redis.xack(key, WebhookSettings.GROUP, gone.getFirst().getId());
        read("worker-crashed"); // a process that died holding its entry: it must be reclaimed first
        Thread.sleep(1_500);
        List<StreamMessage<String, String>> live = read("worker-live"); // a process still at work
        redis.xack(key, WebhookSettings.GROUP, live.getFirst().getId());

        List<String> removed = queue.forgetIdleConsumers(Duration.ofSeconds(1)).collectList().block(WAIT);

        assertThat(removed).containsExactly("worker-gone");
        assertThat(consumers()).containsExactlyInAnyOrder("worker-crashed", "worker-live");
        assertThat(queue.state().block(WAIT).inFlight()).as("the crashed worker's entry is still pending").isEqualTo(1);

        // Once its entry is taken over by a live consumer, the crashed one holds nothing and goes too;
        // the live one holds that entry now, so it stays however long it is idle.
        assertThat(queue.reclaim("worker-live", Duration.ZERO, 10).collectList().block(WAIT)).hasSize(1);
        Thread.sleep(1_500);
        assertThat(queue.forgetIdleConsumers(Duration.ofSeconds(1)).collectList().block(WAIT)).containsExactly("worker-crashed");
        assertThat(consumers()).containsExactly("worker-live");
    }

    @Test
    void without_a_group_there_is_nothing_to_remove() {
        assertThat(queue.forgetIdleConsumers(Duration.ZERO).collectList().block(WAIT)).isEmpty();
    }

    private List<StreamMessage<String, String>> read(String consumer) {
        return redis.xreadgroup(Consumer.from(WebhookSettings.GROUP, consumer), XReadArgs.Builder.count(1),
                StreamOffset.lastConsumed(key));
    }

    private List<String> consumers() {
        return redis.xinfoConsumers(key, WebhookSettings.GROUP).stream()
                .map(reply -> String.valueOf(((List<?>) reply).get(1)))
                .toList();
    }
}
