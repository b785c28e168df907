package dev.ledgerflow.core.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * This instance's part in the cluster: it renews its leases, takes its fair share of each lease
 * group's partitions, gives up what is more than its share when others join, takes over the
 * partitions of instances whose leases expired, and tells each group's {@link Member} which
 * partitions it now owns.
 *
 * <p>One heartbeat every {@link ClusterSettings#heartbeatInterval()} renews the member and every lease
 * it holds in one statement (the cost of an idle instance), and answers how many live members take
 * part in each group and how many partitions are free; only a change costs a claim or a release. The
 * fair share of a group of P partitions among M members is ⌈P/M⌉: an instance holding more gives the
 * surplus up (after its member stopped working on it and saved its checkpoint), one holding fewer
 * claims free ones. A crashed instance's leases are free once {@link ClusterSettings#leaseTtl()} has
 * passed since its last heartbeat: its partitions move within the time-to-live plus one heartbeat.
 *
 * <p>An instance that cannot renew its leases for longer than the time-to-live stops every member:
 * others may own its partitions by then. Even before that, a member's work is fenced: a checkpoint is
 * only saved with the epoch of the lease it was acquired under ({@link LeaseStore#save}).
 */
public final class LeaseCoordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseCoordinator.class);

    /** The user of one lease group. */
    public interface Member {
        /**
         * From now on, work on exactly these partitions (maybe none): stop working on the others and save
         * what finished first; completes once it has.
         */
        Mono<Void> assign(Assignment assignment);
    }

    private final LeaseStore store;
    private final ClusterSettings settings;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final Sinks.Many<Boolean> pokes = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<LeaseStore.Beat> beats = Sinks.many().multicast().directBestEffort();
    private volatile long lastBeatNanos = System.nanoTime();
    private Disposable running; // guarded by this
    private volatile boolean halted;
    private volatile boolean closed;

    public LeaseCoordinator(LeaseStore store, ClusterSettings settings) {
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public ClusterSettings settings() {
        return settings;
    }

    public LeaseStore store() {
        return store;
    }

    public String instanceId() {
        return settings.instanceId();
    }

    private final class Group {
        final String name;
        final int partitions;
        final Member member;
        volatile Assignment assigned;

        Group(String name, int partitions, Member member) {
            this.name = name;
            this.partitions = partitions;
            this.member = member;
            this.assigned = Assignment.none(name, partitions);
        }
    }

    /** A group this instance takes part in; closing it leaves the group gracefully. */
    public final class Membership implements AutoCloseable {
        private final String group;

        private Membership(String group) {
            this.group = group;
        }

        public String group() {
            return group;
        }

        /** What this instance owns of the group now. */
        public Assignment assignment() {
            Group current = groups.get(group);
            return current == null ? Assignment.none(group, 1) : current.assigned;
        }

        /** Asks for a heartbeat now, e.g. after a save found a lease taken over. */
        public void poke() {
            LeaseCoordinator.this.poke();
        }

        /**
         * Stops the member, then gives its leases back for others to take at once. After {@link #halt()}
         * (a simulated crash) it gives nothing back: the leases expire.
         */
        @Override
        public void close() {
            Group leaving = groups.remove(group);
            if (leaving == null || halted) {
                return;
            }
            try {
                leaving.member.assign(Assignment.none(group, leaving.partitions))
                        .then(store.release(group, instanceId(), leaving.assigned.leases().keySet()))
                        .block(Duration.ofSeconds(30));
                leaving.assigned = Assignment.none(group, leaving.partitions);
                log.info("Left lease group {}", group);
            } catch (RuntimeException e) {
                log.warn("Leaving lease group {} failed; its leases expire after {}", group, settings.leaseTtl(), e);
            }
        }
    }

    /**
     * Takes part in {@code group} (creating its {@code partitions} lease rows if needed); the member is
     * told what it owns from the next heartbeat on, which this asks for at once.
     */
    public Mono<Membership> join(String group, int partitions, Member member) {
        return store.ensureGroup(group, partitions, settings.leaseTtl())
                .then(Mono.fromCallable(() -> {
                    if (groups.putIfAbsent(group, new Group(group, partitions, member)) != null) {
                        throw new IllegalStateException("already a member of lease group " + group);
                    }
                    start();
                    poke();
                    return new Membership(group);
                }));
    }

    /**
     * Starts the heartbeats; does nothing when running. Renewing and rebalancing run apart: a heartbeat
     * never waits for a member that is stopping or starting (which may take a while under load), so
     * the leases stay renewed meanwhile; rebalancing works on the latest heartbeat's answer.
     */
    public synchronized LeaseCoordinator start() {
        if (running != null || closed) {
            return this;
        }
        lastBeatNanos = System.nanoTime();
        Disposable renewing = Flux.merge(Flux.interval(Duration.ZERO, settings.heartbeatInterval()).map(tick -> true),
                        pokes.asFlux())
                .onBackpressureDrop()
                .concatMap(tick -> beat().onErrorResume(error -> {
                    failed(error);
                    return Mono.empty();
                }), 1)
                .subscribe();
        Disposable rebalancing = beats.asFlux()
                .onBackpressureLatest()
                .concatMap(beat -> rebalance(beat).onErrorResume(error -> {
                    log.warn("Rebalancing the leases of {} failed; trying again after the next heartbeat", instanceId(), error);
                    return Mono.empty();
                }), 1)
                .subscribe();
        running = reactor.core.Disposables.composite(renewing, rebalancing);
        log.info("Cluster member {} started: {} partitions, leases expire {} after the last heartbeat, every {}",
                instanceId(), settings.partitions(), settings.leaseTtl(), settings.heartbeatInterval());
        return this;
    }

    public void poke() {
        pokes.tryEmitNext(true);
    }

    /** One heartbeat: renews everything in one statement and hands the answer to the rebalancing. */
    private Mono<Void> beat() {
        if (groups.isEmpty() || halted) {
            return Mono.empty();
        }
        List<String> names = List.copyOf(groups.keySet());
        return store.heartbeat(instanceId(), settings.host(), names, settings.leaseTtl())
                .doOnNext(beat -> {
                    lastBeatNanos = System.nanoTime();
                    beats.tryEmitNext(beat);
                })
                .then();
    }

    /** The rebalancing a heartbeat's answer calls for, group by group. */
    private Mono<Void> rebalance(LeaseStore.Beat beat) {
        if (halted) {
            return Mono.empty();
        }
        return Flux.fromIterable(beat.groups().keySet())
                .concatMap(name -> {
                    Group group = groups.get(name);
                    LeaseStore.GroupView view = beat.groups().get(name);
                    if (group == null || view == null) {
                        return Mono.empty();
                    }
                    List<Lease> held = beat.held().stream().filter(lease -> lease.group().equals(name)).toList();
                    return rebalance(group, held, view);
                })
                .then();
    }

    private Mono<Void> rebalance(Group group, List<Lease> held, LeaseStore.GroupView view) {
        int share = (int) Math.ceilDiv(group.partitions, Math.max(1, view.members()));
        TreeMap<Integer, Lease> keep = new TreeMap<>();
        held.forEach(lease -> keep.put(lease.partition(), lease));
        // The epoch known to the member counts: a lease it saved under stays the same lease.
        List<Integer> surplus = new ArrayList<>();
        while (keep.size() > share) {
            surplus.add(keep.lastKey());
            keep.remove(keep.lastKey());
        }
        int wanted = share - keep.size();
        Mono<List<Lease>> claimed = wanted > 0 && view.claimable() > 0
                ? store.claim(group.name, instanceId(), wanted, settings.leaseTtl()).collectList()
                : Mono.just(List.of());
        return claimed.flatMap(taken -> {
            taken.forEach(lease -> keep.put(lease.partition(), lease));
            Assignment next = Assignment.of(group.name, group.partitions, keep.values());
            if (next.sameLeasesAs(group.assigned) || groups.get(group.name) != group) {
                return store.release(group.name, instanceId(), surplus);
            }
            log.info("Lease group {}: {} now owns partitions {} (share {} of {} among {}; took {}, gave up {}, lost {})",
                    group.name, instanceId(), next.leases().keySet(), share, group.partitions, view.members(),
                    taken.stream().map(Lease::partition).toList(), surplus, lost(group.assigned, held));
            return group.member.assign(next)
                    .doOnSuccess(done -> group.assigned = next)
                    .then(store.release(group.name, instanceId(), surplus));
        });
    }

    private static Set<Integer> lost(Assignment before, List<Lease> held) {
        Set<Integer> still = held.stream().map(Lease::partition).collect(Collectors.toSet());
        return before.leases().keySet().stream().filter(p -> !still.contains(p)).collect(Collectors.toSet());
    }

    private void failed(Throwable error) {
        Duration silent = Duration.ofNanos(System.nanoTime() - lastBeatNanos);
        if (silent.compareTo(settings.leaseTtl()) < 0) {
            log.warn("Cluster heartbeat of {} failed ({} since the last one); trying again", instanceId(), silent, error);
            return;
        }
        log.error("Cluster member {} could not renew its leases for {}: others may own its partitions now; stopping"
                + " its work until it can", instanceId(), silent, error);
        groups.values().forEach(group -> {
            if (!group.assigned.isEmpty()) {
                // Whatever the stop's outcome, the member is to get its leases anew after the outage: with
                // the assignment left as it was, the same leases coming back looked like no change and the
                // member stayed stopped.
                group.member.assign(Assignment.none(group.name, group.partitions))
                        .doFinally(signal -> group.assigned = Assignment.none(group.name, group.partitions))
                        .subscribe(null, e -> log.warn("Stopping {} failed", group.name, e));
            }
        });
    }

    /** What this instance owns of each group now. */
    public Map<String, Assignment> assignments() {
        return groups.values().stream().collect(Collectors.toMap(g -> g.name, g -> g.assigned));
    }

    /**
     * Stops heartbeating without giving anything back, as a crashed process would: its leases expire
     * and others take them over. For tests and drills.
     */
    public synchronized void halt() {
        halted = true;
        if (running != null) {
            running.dispose();
        }
        log.warn("Cluster member {} halted: its leases will expire", instanceId());
    }

    /** Leaves every group that is still joined (see {@link Membership#close()}), then the cluster. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (running != null) {
                running.dispose();
            }
        }
        List.copyOf(groups.keySet()).forEach(group -> new Membership(group).close());
        if (!halted) {
            try {
                store.leave(instanceId()).block(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("Cluster member {} could not leave; it expires after {}", instanceId(), settings.leaseTtl(), e);
            }
        }
    }
}
