package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.cluster.Assignment;
import dev.ledgerflow.core.cluster.LeaseCoordinator;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.postgres.LogTail;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Runs every projection of the service: one live runner per projection on its active generation,
 * and a rebuild runner when a rebuild was asked for. Answers which tables to read, how far each
 * projection is, and waits for read-your-writes.
 */
public final class Projections implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Projections.class);
    private static final Duration JANITOR_INTERVAL = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private final ConnectionFactory connections;
    private final LogTail tail;
    private final ProjectorSettings settings;
    private final PageHook hook;
    private final List<Projection> projections;
    private final ProjectionCatalog catalog;
    private final FeedLag lag;
    private final Map<String, ProjectionRunner> live = new ConcurrentHashMap<>();
    private final Map<String, ProjectionRunner> rebuilding = new ConcurrentHashMap<>();
    private final ProjectionRunner.Listener listener = new Swaps();
    private final List<LeaseCoordinator.Membership> memberships = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** With leases, whether this instance holds each projection's; without, every projection runs here. */
    private final Map<String, Boolean> owned = new ConcurrentHashMap<>();
    private volatile boolean leased;
    private volatile Disposable janitor;
    private volatile boolean closed;

    public Projections(ConnectionFactory connections, LogTail tail, List<Projection> projections, ProjectorSettings settings) {
        this(connections, tail, projections, settings, PageHook.NONE, Clock.systemUTC());
    }

    public Projections(ConnectionFactory connections, LogTail tail, List<Projection> projections, ProjectorSettings settings,
            PageHook hook, Clock clock) {
        this.connections = connections;
        this.tail = tail;
        this.settings = settings;
        this.hook = hook;
        this.projections = List.copyOf(projections);
        this.catalog = new ProjectionCatalog(connections, this.projections, settings.activeCacheTtl(), clock);
        this.lag = new FeedLag(connections, tail, clock);
    }

    /** A rebuild that was asked for: the generation it fills; {@code alreadyRunning} if one was under way. */
    public record RebuildStarted(String projection, int generation, boolean alreadyRunning) {}

    /**
     * How far one projection is.
     *
     * @param status {@code running}, {@code restarting}, {@code stopped}, or {@code elsewhere} when
     *     this instance runs no projector for it (another instance does)
     * @param rebuild the rebuild under way, if any
     */
    public record ProjectionStatus(String name, int generation, String status, LogPosition checkpoint,
            Instant lastRecordedAt, long eventsApplied, FeedLag.Lag lag, long restarts, String lastError, Rebuild rebuild) {}

    /** A rebuild under way: the new generation's progress. */
    public record Rebuild(int generation, String status, LogPosition checkpoint, long eventsApplied, FeedLag.Lag lag) {}

    public List<String> names() {
        return projections.stream().map(Projection::name).toList();
    }

    public ProjectionCatalog catalog() {
        return catalog;
    }

    public FeedLag lag() {
        return lag;
    }

    /**
     * Creates first generations where none exist, then starts a live runner on each active
     * generation and resumes any rebuild that was under way.
     */
    public Mono<Void> start() {
        tail.start();
        return generations()
                .doOnNext(found -> found.generations().forEach(g -> {
                    if (g.active()) {
                        startLive(found.projection(), g.generation());
                    } else if (g.building()) {
                        startRebuild(found.projection(), g.generation());
                    }
                }))
                .then(Mono.fromRunnable(() -> janitor = Flux.interval(Duration.ofSeconds(1), JANITOR_INTERVAL)
                        .concatMap(tick -> dropRetired())
                        .subscribe()));
    }

    /**
     * Like {@link #start()} for an instance among others: each projection's live runner runs only on
     * the instance holding its lease (group {@code projection:<name>}, one partition), and moves to
     * another when that one leaves or its lease expires. Rebuilds under way are resumed here as well:
     * runners of one generation take turns page by page (see {@link ProjectionRunner}), so a rebuild
     * running on two instances is applied once.
     */
    public Mono<Void> startUnder(LeaseCoordinator coordinator) {
        tail.start();
        leased = true;
        return generations()
                .concatMap(found -> {
                    found.generations().stream().filter(ProjectionCatalog.Generation::building)
                            .forEach(g -> startRebuild(found.projection(), g.generation()));
                    return coordinator.join(LEASE_PREFIX + found.projection().name(), 1, new Leased(found.projection()))
                            .doOnNext(memberships::add);
                })
                .then(Mono.fromRunnable(() -> janitor = Flux.interval(Duration.ofSeconds(1), JANITOR_INTERVAL)
                        .concatMap(tick -> dropRetired())
                        .subscribe()));
    }

    /** The lease group of one projection's live runner. */
    public static final String LEASE_PREFIX = "projection:";

    /** Runs the live runner of one projection while this instance holds its lease. */
    private final class Leased implements LeaseCoordinator.Member {
        private final Projection projection;

        Leased(Projection projection) {
            this.projection = projection;
        }

        @Override
        public Mono<Void> assign(Assignment assignment) {
            String name = projection.name();
            owned.put(name, !assignment.isEmpty());
            if (assignment.isEmpty()) {
                return Mono.fromRunnable(() -> stopLive(name));
            }
            return catalog.generations(name).doOnNext(generations -> generations.stream()
                            .filter(ProjectionCatalog.Generation::active)
                            .findFirst()
                            .ifPresent(g -> startLive(projection, g.generation())))
                    .then();
        }
    }

    private synchronized void stopLive(String name) {
        ProjectionRunner current = live.remove(name);
        if (current != null) {
            current.stop();
        }
    }

    /**
     * Creates first generations where none exist, and runs nothing: for an instance that serves the
     * read models but leaves following the log to others.
     */
    public Mono<Void> createFirstGenerations() {
        return generations().then();
    }

    private Flux<Generations> generations() {
        return Flux.fromIterable(projections)
                .concatMap(projection -> catalog.ensureFirstGeneration(projection)
                        .then(catalog.generations(projection.name()))
                        // A pooled session that died (a database restart) fails once; a new one is taken.
                        .retryWhen(Retry.backoff(5, Duration.ofMillis(200)))
                        .map(generations -> new Generations(projection, generations)));
    }

    private record Generations(Projection projection, List<ProjectionCatalog.Generation> generations) {}

    /**
     * Rebuilds {@code name} from position zero into a new generation; reads keep using the active one
     * until the new one has caught up and is swapped in.
     *
     * @throws IllegalArgumentException (as the error of the Mono) when there is no such projection
     */
    public Mono<RebuildStarted> rebuild(String name) {
        return Mono.fromCallable(() -> catalog.projection(name))
                .flatMap(projection -> catalog.createBuildingGeneration(projection).map(created -> {
                    startRebuild(projection, created.generation());
                    return new RebuildStarted(name, created.generation(), !created.created());
                }));
    }

    /** The status of every projection. */
    public Flux<ProjectionStatus> status() {
        return Flux.fromIterable(projections).concatMap(this::status);
    }

    private Mono<ProjectionStatus> status(Projection projection) {
        return catalog.generations(projection.name()).flatMap(generations -> {
            var active = generations.stream().filter(ProjectionCatalog.Generation::active).findFirst();
            var building = generations.stream().filter(ProjectionCatalog.Generation::building).findFirst();
            if (active.isEmpty()) {
                return Mono.empty();
            }
            int generation = active.get().generation();
            ProjectionRunner runner = live.get(projection.name());
            Mono<Rebuild> rebuild = building.map(g -> catalog.progress(projection.name(), g.generation())
                            .flatMap(progress -> lag.of(progress.checkpoint()).map(l -> new Rebuild(g.generation(),
                                    g.indexed() ? "swapping" : "rebuilding", progress.checkpoint(), progress.eventsApplied(), l))))
                    .orElse(Mono.empty());
            return catalog.progress(projection.name(), generation)
                    .flatMap(progress -> lag.of(progress.checkpoint()).flatMap(l -> rebuild
                            .map(java.util.Optional::of)
                            .defaultIfEmpty(java.util.Optional.empty())
                            .map(r -> new ProjectionStatus(projection.name(), generation,
                                    runnerStatus(runner, generation), progress.checkpoint(), progress.lastRecordedAt(),
                                    progress.eventsApplied(), l, runner == null ? 0 : runner.restarts(),
                                    runner == null ? null : runner.lastError(), r.orElse(null)))));
        });
    }

    private static String runnerStatus(ProjectionRunner runner, int generation) {
        if (runner == null || runner.generation() != generation) {
            return "elsewhere";
        }
        return switch (runner.state()) {
            case STARTING, RUNNING -> "running";
            case RESTARTING -> "restarting";
            case STOPPED, RETIRED -> "stopped";
        };
    }

    /**
     * Waits until every named projection has applied the event at {@code target} (read-your-writes);
     * completes with false if that takes longer than {@code timeout}.
     */
    public Mono<Boolean> awaitApplied(Collection<String> names, LogPosition target, Duration timeout) {
        return Flux.fromIterable(names)
                .flatMap(name -> awaitApplied(name, target, timeout))
                .all(Boolean::booleanValue);
    }

    private Mono<Boolean> awaitApplied(String name, LogPosition target, Duration timeout) {
        ProjectionRunner runner = live.get(name);
        if (runner != null && runner.progress().reached(target)) {
            return Mono.just(true);
        }
        if (runner != null && runner.isRunning()) {
            return runner.awaitApplied(target, timeout);
        }
        // No projector here: another instance runs it; watch its committed checkpoint.
        return Flux.interval(Duration.ZERO, POLL_INTERVAL)
                .concatMap(tick -> catalog.active(name).flatMap(tables -> catalog.progress(name, tables.generation())))
                .filter(progress -> progress.reached(target))
                .next()
                .map(progress -> true)
                .timeout(timeout, Mono.just(false));
    }

    /** The live runner of a projection on this instance, if any (for tests and operators). */
    public java.util.Optional<ProjectionRunner> runner(String name) {
        return java.util.Optional.ofNullable(live.get(name));
    }

    /** The rebuild runner of a projection on this instance, if any. */
    public java.util.Optional<ProjectionRunner> rebuildRunner(String name) {
        return java.util.Optional.ofNullable(rebuilding.get(name));
    }

    /** Drops the tables of generations retired longer ago than the grace period. */
    public Mono<Integer> dropRetired() {
        return Flux.fromIterable(projections)
                .concatMap(projection -> catalog.dropRetired(projection, settings.retiredDropDelay()))
                .reduce(0, Integer::sum)
                .doOnNext(dropped -> {
                    if (dropped > 0) {
                        log.info("Dropped {} retired projection generation(s)", dropped);
                    }
                })
                .onErrorResume(error -> {
                    log.warn("Dropping retired projection generations failed; trying again later", error);
                    return Mono.just(0);
                });
    }

    @Override
    public void close() {
        memberships.forEach(LeaseCoordinator.Membership::close); // stops each live runner, gives its lease back
        closed = true;
        Disposable current = janitor;
        if (current != null) {
            current.dispose();
        }
        live.values().forEach(ProjectionRunner::stop);
        rebuilding.values().forEach(ProjectionRunner::stop);
    }

    private synchronized void startLive(Projection projection, int generation) {
        ProjectionRunner current = live.get(projection.name());
        if (closed || (current != null && current.generation() >= generation && current.isRunning())) {
            return;
        }
        ProjectionRunner runner = new ProjectionRunner(projection, generation, ProjectionRunner.Mode.LIVE, connections,
                tail, settings, hook, listener);
        live.put(projection.name(), runner);
        if (current != null) {
            current.stop();
        }
        runner.start();
    }

    private synchronized void startRebuild(Projection projection, int generation) {
        ProjectionRunner current = rebuilding.get(projection.name());
        if (closed || (current != null && current.generation() == generation && current.isRunning())) {
            return;
        }
        ProjectionRunner runner = new ProjectionRunner(projection, generation, ProjectionRunner.Mode.REBUILD, connections,
                tail, settings, hook, listener);
        rebuilding.put(projection.name(), runner);
        runner.start();
    }

    /** Moves readers and the live runner over when a rebuild swaps in, and cleans up after it. */
    private final class Swaps implements ProjectionRunner.Listener {

        @Override
        public void activated(ProjectionRunner runner) {
            String name = runner.projection().name();
            catalog.activated(name, runner.tables());
            synchronized (Projections.this) {
                rebuilding.remove(name, runner);
                if (leased && !owned.getOrDefault(name, false)) {
                    // The instance holding the projection's lease follows the new generation (retired()).
                    runner.stop();
                    return;
                }
                ProjectionRunner previous = live.put(name, runner);
                if (previous != null && previous != runner) {
                    previous.stop();
                }
            }
            Mono.delay(settings.retiredDropDelay())
                    .then(catalog.dropRetired(runner.projection(), settings.retiredDropDelay()))
                    .subscribe(null, error -> log.warn("Dropping the replaced generation of {} failed", name, error));
        }

        @Override
        public void retired(ProjectionRunner runner) {
            // Another instance swapped in a rebuilt generation: follow it here too.
            String name = runner.projection().name();
            if (leased && !owned.getOrDefault(name, false)) {
                return;
            }
            catalog.generations(name)
                    .subscribe(generations -> generations.stream()
                            .filter(ProjectionCatalog.Generation::active)
                            .findFirst()
                            .ifPresent(g -> startLive(runner.projection(), g.generation())),
                            error -> log.warn("Could not follow the new generation of {}", name, error));
        }
    }
}
