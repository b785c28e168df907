package dev.ledgerflow.gateway.admin;

import dev.ledgerflow.delivery.kafka.KafkaFeed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Kafka consumer groups this instance's consumers are members of ({@code ledger.consumers.source=kafka}),
 * as {@code GET /admin/cluster} shows them: per group, the partitions this instance holds (from its
 * consumer's own assignment), each partition of the topic with the member holding it, the group's committed
 * offset, the log-end offset and the lag between them, and the group's members. Asked of the brokers at
 * each request (one description of the groups, one of the topic, their committed offsets and the topic's
 * first and end offsets: five admin requests), so it is what Kafka knows now, not a sample.
 */
public final class KafkaConsumerGroups implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Admin admin;
    private final String topic;
    private final List<KafkaFeed> feeds;

    public KafkaConsumerGroups(String bootstrapServers, String topic, List<KafkaFeed> feeds) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis()));
        this.topic = topic;
        this.feeds = List.copyOf(feeds);
    }

    /**
     * The groups and where they are in the topic.
     *
     * @param error set when the brokers did not answer (then {@code groups} show only this instance's assignment)
     */
    public record View(String topic, List<GroupView> groups, String error) {}

    /**
     * One consumer group (named after the consumer).
     *
     * @param state the group's state as the coordinator reports it ({@code Stable}, {@code PreparingRebalance}, …)
     * @param assignedHere the topic's partitions this instance's member holds now (its own consumer's view)
     * @param lag the sum of the partitions' lags
     */
    public record GroupView(String group, String state, List<Integer> assignedHere, Long lag,
            List<MemberView> members, List<PartitionView> partitions) {}

    /** A member of the group: the instance it runs on (from its client id {@code ledgerflow-<instance>-<group>}). */
    public record MemberView(String instanceId, String clientId, String host, List<Integer> partitions) {}

    /**
     * One partition of the topic in one group.
     *
     * @param owner the instance whose member holds it; null while nobody does (a rebalance)
     * @param committedOffset the group's next offset to read, committed after the consumer's own write; null
     *     when the group never committed there (it starts at the partition's first offset)
     * @param logEndOffset the offset the next message will get
     * @param lag messages from the committed offset (or the first one) to the end: published, not yet handled
     */
    public record PartitionView(int partition, String owner, Long committedOffset,
            long logEndOffset, long lag) {}

    /** The consumer groups' names, one per consumer that reads the topic here. */
    public Set<String> groups() {
        return feeds.stream().map(KafkaFeed::name).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    public Mono<View> view() {
        Set<String> groups = groups();
        Mono<Map<String, ConsumerGroupDescription>> described = mono(admin.describeConsumerGroups(groups).all());
        Mono<Map<String, Map<TopicPartition, OffsetAndMetadata>>> committed = Flux.fromIterable(groups)
                .flatMap(group -> mono(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata())
                        .map(offsets -> Map.entry(group, offsets)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
        Mono<List<TopicPartition>> partitions = mono(admin.describeTopics(List.of(topic)).allTopicNames())
                .map(topics -> topics.get(topic).partitions().stream()
                        .map(partition -> new TopicPartition(topic, partition.partition())).toList());
        return partitions.flatMap(all -> Mono.zip(described, committed, offsets(all, OffsetSpec.earliest()),
                        offsets(all, OffsetSpec.latest()))
                        .map(found -> new View(topic, feeds.stream().map(feed -> group(feed, all,
                                found.getT1().get(feed.name()), found.getT2().getOrDefault(feed.name(), Map.of()),
                                found.getT3(), found.getT4())).toList(), null)))
                .timeout(TIMEOUT.plusSeconds(1))
                .onErrorResume(error -> Mono.just(new View(topic, feeds.stream()
                        .map(feed -> new GroupView(feed.name(), null, List.copyOf(feed.partitions()), null, List.of(), List.of()))
                        .toList(), error.toString())));
    }

    private static GroupView group(KafkaFeed feed, List<TopicPartition> all, ConsumerGroupDescription description,
            Map<TopicPartition, OffsetAndMetadata> committed, Map<TopicPartition, Long> first, Map<TopicPartition, Long> end) {
        List<MemberView> members = new ArrayList<>();
        Map<TopicPartition, String> owners = new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
        if (description != null) {
            for (MemberDescription member : description.members()) {
                String instance = instanceOf(member.clientId(), feed.name());
                List<Integer> held = member.assignment().topicPartitions().stream()
                        .filter(partition -> partition.topic().equals(all.getFirst().topic()))
                        .map(TopicPartition::partition).sorted().toList();
                members.add(new MemberView(instance, member.clientId(), member.host(), held));
                held.forEach(partition -> owners.put(new TopicPartition(all.getFirst().topic(), partition), instance));
            }
        }
        List<PartitionView> partitions = all.stream().map(partition -> {
            OffsetAndMetadata offset = committed.get(partition);
            long logEnd = end.getOrDefault(partition, 0L);
            long from = offset != null ? offset.offset() : first.getOrDefault(partition, 0L);
            return new PartitionView(partition.partition(), owners.get(partition), offset == null ? null : offset.offset(),
                    logEnd, Math.max(0, logEnd - from));
        }).toList();
        return new GroupView(feed.name(), description == null ? null : description.groupState().toString(),
                List.copyOf(feed.partitions()), partitions.stream().mapToLong(PartitionView::lag).sum(), members, partitions);
    }

    /** The instance id in a client id {@code ledgerflow-<instance>-<group>} ({@link KafkaFeed#clientId}); null for another client. */
    static String instanceOf(String clientId, String group) {
        String end = "-" + group;
        String start = KafkaFeed.clientId("", group);
        start = start.substring(0, start.length() - end.length());
        return clientId.startsWith(start) && clientId.endsWith(end) && clientId.length() > start.length() + end.length()
                ? clientId.substring(start.length(), clientId.length() - end.length())
                : null;
    }

    private Mono<Map<TopicPartition, Long>> offsets(List<TopicPartition> partitions, OffsetSpec spec) {
        return mono(admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(), p -> spec))).all())
                .map(found -> found.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        entry -> ((ListOffsetsResult.ListOffsetsResultInfo) entry.getValue()).offset())));
    }

    private static <T> Mono<T> mono(KafkaFuture<T> future) {
        return Mono.fromCompletionStage(future.toCompletionStage());
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
