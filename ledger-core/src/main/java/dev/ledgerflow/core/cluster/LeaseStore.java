package dev.ledgerflow.core.cluster;

import dev.ledgerflow.core.sql.Sql;
import dev.ledgerflow.core.eventstore.LogPosition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The lease rows of {@code consumer_leases} and the members of {@code cluster_members}: who owns
 * which partition of which lease group, and each partition's checkpoint. Every time is the
 * database's ({@code now()}), so instances with skewed clocks still agree on who expired.
 */
public final class LeaseStore {

    private static final String TTL = "($4::float8 * interval '1 millisecond')";

    // One statement per heartbeat, whatever the number of groups and leases: renews the member and
    // every lease it holds, and answers what it needs to rebalance. (The other parts of a statement
    // do not see what its data-modifying CTEs change: this instance counts itself as 1 and its own
    // leases are never "claimable".)
    private static final String HEARTBEAT = "with member as ("
            + " insert into cluster_members as m (instance_id, host, groups, started_at, heartbeat_at)"
            + " values ($1, $2, $3::text[], now(), now())"
            + " on conflict (instance_id) do update set heartbeat_at = now(), groups = excluded.groups, host = excluded.host),"
            + " gone as (delete from cluster_members where instance_id <> $1 and heartbeat_at < now() - interval '1 day'),"
            + " held as (update consumer_leases set heartbeat_at = now() where owner = $1"
            + "   returning consumer, partition, epoch, txid, position)"
            + " select consumer, partition, epoch, txid, position, null::bigint as members, null::bigint as claimable from held"
            + " union all"
            + " select g.consumer, null, null, null, null,"
            + "  1 + (select count(*) from cluster_members m where m.instance_id <> $1 and g.consumer = any(m.groups)"
            + "     and m.heartbeat_at > now() - " + TTL + "),"
            + "  (select count(*) from consumer_leases l where l.consumer = g.consumer"
            + "     and (l.owner is null or (l.owner <> $1 and l.heartbeat_at < now() - " + TTL + ")))"
            + " from unnest($3::text[]) as g(consumer)";
    private static final String CLAIM = "update consumer_leases l set owner = $2, epoch = l.epoch + 1, acquired_at = now(),"
            + " heartbeat_at = now()"
            + " from (select partition from consumer_leases where consumer = $1"
            + "   and (owner is null or (owner <> $2 and heartbeat_at < now() - " + TTL.replace("$4", "$3") + "))"
            + "   order by partition limit $4 for update skip locked) free"
            + " where l.consumer = $1 and l.partition = free.partition"
            + " returning l.partition, l.epoch, l.txid, l.position";
    private static final String RELEASE = "update consumer_leases set owner = null, heartbeat_at = null"
            + " where consumer = $1 and owner = $2 and partition = any($3::int[])";
    private static final String LEAVE = "delete from cluster_members where instance_id = $1";
    // Fenced: moves the checkpoint of exactly the partitions this owner still holds under the epoch
    // it acquired them with; the others (taken over meanwhile) are not among the rows returned.
    // Never backwards: a partition acquired ahead of the others keeps its own place.
    private static final String SAVE = "update consumer_leases l set"
            + " txid = case when (l.txid, l.position) < ($3::bigint, $4::bigint) then $3 else l.txid end,"
            + " position = case when (l.txid, l.position) < ($3::bigint, $4::bigint) then $4 else l.position end,"
            + " saved_at = now()"
            + " from unnest($5::int[], $6::bigint[]) as a(partition, epoch)"
            + " where l.consumer = $1 and l.owner = $2 and l.partition = a.partition and l.epoch = a.epoch"
            + " returning l.partition";
    private static final String GROUP_SHAPE = "select partitions, count(*) as n,"
            + " count(*) filter (where owner is not null and heartbeat_at > now() - " + TTL.replace("$4", "$2") + ") as live,"
            + " min(txid) as txid from consumer_leases where consumer = $1 group by partitions";
    private static final String GROUP_LOWEST = "select txid, position from consumer_leases where consumer = $1"
            + " order by txid, position limit 1";
    private static final String GROUP_DROP = "delete from consumer_leases where consumer = $1";
    private static final String GROUP_CREATE = "insert into consumer_leases (consumer, partition, partitions, txid, position)"
            + " select $1, p, $2, $3, $4 from generate_series(0, $2 - 1) p on conflict (consumer, partition) do nothing";
    private static final String LEGACY_CHECKPOINT = "select txid, position from consumer_checkpoints where name = $1";
    private static final String LEASES = "select consumer, partition, partitions, owner, epoch, acquired_at, heartbeat_at,"
            + " txid, position, saved_at, now() as now from consumer_leases order by consumer, partition";
    private static final String MEMBERS = "select instance_id, host, groups, started_at, heartbeat_at, now() as now"
            + " from cluster_members where heartbeat_at > now() - ($1::float8 * interval '1 millisecond')"
            + " order by started_at, instance_id";
    private static final String LOWEST = "select txid, position from consumer_leases where consumer = $1"
            + " order by txid, position limit 1";

    private final ConnectionFactory connections;

    /** @param connections a pooled factory */
    public LeaseStore(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** What one heartbeat found for one group: live members taking part (this one included) and partitions free to take. */
    public record GroupView(long members, long claimable) {}

    /** What one heartbeat found: the leases this instance still holds, and each of its groups. */
    public record Beat(List<Lease> held, Map<String, GroupView> groups) {}

    /**
     * Makes sure {@code group} has exactly {@code partitions} lease rows. New rows start at the
     * consumer's checkpoint from before it was partitioned (its {@code consumer_checkpoints} row),
     * or at the start. Rows of another partition count are replaced, starting from the lowest
     * checkpoint among them, if none of them is held by a live owner; otherwise the instances disagree
     * on the number of partitions, and this fails.
     */
    public Mono<Void> ensureGroup(String group, int partitions, Duration ttl) {
        return Sql.inTransaction(connections, c -> one(c, "select pg_advisory_xact_lock(hashtext('consumer_leases:' || $1))", s -> s.bind("$1", group))
                .thenMany(many(c, GROUP_SHAPE, s -> s.bind("$1", group).bind("$2", ttl.toMillis()),
                        row -> new long[] {row.get("partitions", Integer.class), row.get("n", Long.class), row.get("live", Long.class)}))
                .collectList()
                .flatMap(shapes -> {
                    boolean same = shapes.isEmpty() || (shapes.size() == 1 && shapes.getFirst()[0] == partitions
                            && shapes.getFirst()[1] == partitions);
                    if (same) {
                        Mono<LogPosition> start = shapes.isEmpty()
                                ? position(c, LEGACY_CHECKPOINT, group).defaultIfEmpty(LogPosition.START)
                                : Mono.just(LogPosition.START);
                        return start.flatMap(at -> create(c, group, partitions, at));
                    }
                    if (shapes.stream().anyMatch(shape -> shape[0] != partitions && shape[2] > 0)) {
                        return Mono.error(new IllegalStateException("Lease group " + group + " is held by live instances"
                                + " with another number of partitions than " + partitions + " (ledger.cluster.partitions):"
                                + " every instance must use the same number. Stop them, or start this one with theirs."));
                    }
                    return position(c, GROUP_LOWEST, group).defaultIfEmpty(LogPosition.START)
                            .flatMap(lowest -> one(c, GROUP_DROP, s -> s.bind("$1", group)).then(create(c, group, partitions, lowest)));
                }))
                .then();
    }

    private Mono<Void> create(Connection c, String group, int partitions, LogPosition at) {
        return one(c, GROUP_CREATE, s -> s.bind("$1", group).bind("$2", partitions).bind("$3", at.txid())
                .bind("$4", at.position()));
    }

    private Mono<LogPosition> position(Connection c, String sql, String group) {
        return many(c, sql, s -> s.bind("$1", group),
                row -> new LogPosition(row.get("txid", Long.class), row.get("position", Long.class))).next();
    }

    /** Renews this member and all its leases in one statement. */
    public Mono<Beat> heartbeat(String instanceId, String host, Collection<String> groups, Duration ttl) {
        List<Lease> held = new ArrayList<>();
        Map<String, GroupView> views = new HashMap<>();
        return execute(HEARTBEAT, s -> s.bind("$1", instanceId).bind("$2", host)
                        .bind("$3", groups.toArray(String[]::new)).bind("$4", ttl.toMillis()),
                row -> {
                    String group = row.get("consumer", String.class);
                    Long members = row.get("members", Long.class);
                    if (members != null) {
                        views.put(group, new GroupView(members, row.get("claimable", Long.class)));
                    } else {
                        held.add(new Lease(group, row.get("partition", Integer.class), row.get("epoch", Long.class),
                                new LogPosition(row.get("txid", Long.class), row.get("position", Long.class))));
                    }
                    return true;
                })
                .then(Mono.fromSupplier(() -> new Beat(List.copyOf(held), Map.copyOf(views))));
    }

    /** Takes up to {@code max} partitions of {@code group} that nobody owns or whose owner's lease expired. */
    public Flux<Lease> claim(String group, String instanceId, int max, Duration ttl) {
        return execute(CLAIM, s -> s.bind("$1", group).bind("$2", instanceId).bind("$3", ttl.toMillis()).bind("$4", max),
                row -> new Lease(group, row.get("partition", Integer.class), row.get("epoch", Long.class),
                        new LogPosition(row.get("txid", Long.class), row.get("position", Long.class))));
    }

    /** Gives partitions up, for others to take at once. */
    public Mono<Void> release(String group, String instanceId, Collection<Integer> partitions) {
        if (partitions.isEmpty()) {
            return Mono.empty();
        }
        return execute(RELEASE, s -> s.bind("$1", group).bind("$2", instanceId)
                .bind("$3", partitions.toArray(Integer[]::new)), row -> true).then();
    }

    /** Removes this member (after it released its leases): the others count one fewer at once. */
    public Mono<Void> leave(String instanceId) {
        return execute(LEAVE, s -> s.bind("$1", instanceId), row -> true).then();
    }

    /**
     * Moves the checkpoint of every lease in {@code assignment} this owner still holds to {@code
     * position} (never backwards), and answers the partitions it moved: those missing were taken over.
     */
    public Mono<Set<Integer>> save(Assignment assignment, String instanceId, LogPosition position) {
        Integer[] partitions = assignment.leases().keySet().toArray(Integer[]::new);
        Long[] epochs = assignment.leases().values().stream().map(Lease::epoch).toArray(Long[]::new);
        return execute(SAVE, s -> s.bind("$1", assignment.group()).bind("$2", instanceId).bind("$3", position.txid())
                        .bind("$4", position.position()).bind("$5", partitions).bind("$6", epochs),
                row -> row.get("partition", Integer.class))
                .collect(TreeSet<Integer>::new, TreeSet::add)
                .map(saved -> (Set<Integer>) saved);
    }

    /** The lowest checkpoint of a group's partitions: what a group of one partition (or all of them) would resume after. */
    public Mono<LogPosition> lowestCheckpoint(String group) {
        return execute(LOWEST, s -> s.bind("$1", group),
                row -> new LogPosition(row.get("txid", Long.class), row.get("position", Long.class))).next();
    }

    /** One lease row, for operators. */
    public record LeaseRow(String group, int partition, int partitions, String owner, long epoch, Instant acquiredAt,
            Instant heartbeatAt, LogPosition checkpoint, Instant savedAt, Instant now) {}

    /** One live member, for operators. */
    public record MemberRow(String instanceId, String host, List<String> groups, Instant startedAt, Instant heartbeatAt,
            Instant now) {}

    public Flux<LeaseRow> leases() {
        return execute(LEASES, s -> s, row -> new LeaseRow(row.get("consumer", String.class),
                row.get("partition", Integer.class), row.get("partitions", Integer.class), row.get("owner", String.class),
                row.get("epoch", Long.class), instant(row, "acquired_at"), instant(row, "heartbeat_at"),
                new LogPosition(row.get("txid", Long.class), row.get("position", Long.class)), instant(row, "saved_at"),
                instant(row, "now")));
    }

    public Flux<MemberRow> members(Duration ttl) {
        return execute(MEMBERS, s -> s.bind("$1", ttl.toMillis()), row -> new MemberRow(row.get("instance_id", String.class),
                row.get("host", String.class), List.of(row.get("groups", String[].class)), instant(row, "started_at"),
                instant(row, "heartbeat_at"), instant(row, "now")));
    }

    private static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static Mono<Void> one(Connection c, String sql, Function<Statement, Statement> binder) {
        return Flux.from(binder.apply(c.createStatement(sql)).execute())
                .concatMap(result -> result.getRowsUpdated())
                .then();
    }

    private static <T> Flux<T> many(Connection c, String sql, Function<Statement, Statement> binder,
            Function<Readable, T> reader) {
        return Flux.from(binder.apply(c.createStatement(sql)).execute())
                .concatMap(result -> result.map(reader::apply));
    }

    private <T> Flux<T> execute(String sql, Function<Statement, Statement> binder, Function<Readable, T> reader) {
        return Flux.usingWhen(connections.create(), c -> many(c, sql, binder, reader), Connection::close);
    }
}
