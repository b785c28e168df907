package dev.ledgerflow.projections.projector;

import dev.ledgerflow.core.sql.Sql;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The generations of every projection ({@code projection_generations}): which one answers reads,
 * which one is being rebuilt, and the tables of each. Creating and dropping generations happens here,
 * under a transaction-level advisory lock per projection, so that two instances never race.
 */
public final class ProjectionCatalog {

    private static final String LOCK = "select pg_advisory_xact_lock(hashtextextended($1, 0))";
    private static final String GENERATIONS = "select generation, status, indexed, retired_at, dropped_at"
            + " from projection_generations where projection = $1 order by generation";
    private static final String ACTIVE = "select generation from projection_generations where projection = $1 and status = 'active'";
    private static final String INSERT_GENERATION = "insert into projection_generations"
            + " (projection, generation, status, indexed, activated_at) values ($1, $2, $3, $4, case when $3 = 'active' then now() end)";
    private static final String INSERT_CHECKPOINT =
            "insert into projection_checkpoints (projection, generation, txid, position) values ($1, $2, 0, 0)";
    private static final String PROGRESS = "select txid, position, last_recorded_at, events_applied from projection_checkpoints"
            + " where projection = $1 and generation = $2";

    /** One generation of a projection. */
    public record Generation(int generation, String status, boolean indexed, Instant retiredAt, Instant droppedAt) {

        public boolean active() {
            return "active".equals(status);
        }

        public boolean building() {
            return "building".equals(status);
        }
    }

    private record Cached(TableNames tables, Instant fetchedAt) {}

    private final ConnectionFactory connections;
    private final Map<String, Projection> projections;
    private final Duration activeCacheTtl;
    private final Clock clock;
    private final Map<String, Cached> active = new ConcurrentHashMap<>();

    public ProjectionCatalog(ConnectionFactory connections, List<Projection> projections, Duration activeCacheTtl, Clock clock) {
        this.connections = connections;
        this.projections = projections.stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Projection::name, p -> p));
        this.activeCacheTtl = activeCacheTtl;
        this.clock = clock;
    }

    public Projection projection(String name) {
        Projection projection = projections.get(name);
        if (projection == null) {
            throw new IllegalArgumentException("no projection " + name);
        }
        return projection;
    }

    public Mono<List<Generation>> generations(String projection) {
        return Sql.query(connections, GENERATIONS, s -> s.bind("$1", projection), ProjectionCatalog::generation).collectList();
    }

    /**
     * The tables that answer reads of {@code projection} now. Cached for a moment: a swap made here is
     * seen at once, one made by another instance within {@code activeCacheTtl}.
     */
    public Mono<TableNames> active(String projection) {
        Cached cached = active.get(projection);
        if (cached != null && cached.fetchedAt().plus(activeCacheTtl).isAfter(clock.instant())) {
            return Mono.just(cached.tables());
        }
        return refresh(projection);
    }

    /**
     * Runs a read on the active tables. Should the generation just have been dropped under a stale
     * cache entry, the read is tried once more on the generation that replaced it.
     */
    public <T> Flux<T> read(String projection, Function<TableNames, Flux<T>> read) {
        return active(projection).flatMapMany(read)
                .onErrorResume(Sql::undefinedTable, error -> refresh(projection).flatMapMany(read));
    }

    private Mono<TableNames> refresh(String projection) {
        Projection definition = projection(projection);
        return Sql.query(connections, ACTIVE, s -> s.bind("$1", projection), row -> row.get("generation", Integer.class))
                .next()
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("projection " + projection + " has no active generation")))
                .map(definition::tableNames)
                .doOnNext(tables -> active.put(projection, new Cached(tables, clock.instant())));
    }

    /** Notes a swap made by this instance, so that reads here move to the new tables at once. */
    void activated(String projection, TableNames tables) {
        active.put(projection, new Cached(tables, clock.instant()));
    }

    /** The committed progress of one generation. */
    public Mono<Progress> progress(String projection, int generation) {
        return Sql.query(connections, PROGRESS, s -> s.bind("$1", projection).bind("$2", generation),
                        row -> new Progress(
                                new dev.ledgerflow.core.eventstore.LogPosition(row.get("txid", Long.class), row.get("position", Long.class)),
                                instant(row, "last_recorded_at"), row.get("events_applied", Long.class)))
                .next()
                .defaultIfEmpty(Progress.START);
    }

    /**
     * Makes sure the projection has a generation to answer reads: the first time, generation 1 with
     * its tables and indexes, active and empty, at position zero (its runner then catches up).
     */
    Mono<Void> ensureFirstGeneration(Projection projection) {
        return inLockedTransaction(projection.name(), connection -> Sql.query(connection, GENERATIONS,
                        s -> s.bind("$1", projection.name()), ProjectionCatalog::generation)
                .collectList()
                .flatMap(existing -> {
                    if (!existing.isEmpty()) {
                        return Mono.empty();
                    }
                    TableNames tables = projection.tableNames(1);
                    return ddl(connection, tables, projection.createTables())
                            .then(ddl(connection, tables, projection.createIndexes()))
                            .then(Sql.update(connection, INSERT_GENERATION, s -> s.bind("$1", projection.name())
                                    .bind("$2", 1).bind("$3", "active").bind("$4", true)))
                            .then(Sql.update(connection, INSERT_CHECKPOINT, s -> s.bind("$1", projection.name()).bind("$2", 1)));
                })
                .then());
    }

    /**
     * A new generation to rebuild into: empty tables without secondary indexes, at position zero.
     * If a rebuild is already under way, that generation is the answer (with {@code created} false).
     */
    Mono<NewGeneration> createBuildingGeneration(Projection projection) {
        return inLockedTransaction(projection.name(), connection -> Sql.query(connection, GENERATIONS,
                        s -> s.bind("$1", projection.name()), ProjectionCatalog::generation)
                .collectList()
                .flatMap(existing -> {
                    var building = existing.stream().filter(Generation::building).findFirst();
                    if (building.isPresent()) {
                        return Mono.just(new NewGeneration(building.get().generation(), false));
                    }
                    int next = existing.stream().mapToInt(Generation::generation).max().orElse(0) + 1;
                    TableNames tables = projection.tableNames(next);
                    return ddl(connection, tables, projection.createTables())
                            .then(Sql.update(connection, INSERT_GENERATION, s -> s.bind("$1", projection.name())
                                    .bind("$2", next).bind("$3", "building").bind("$4", false)))
                            .then(Sql.update(connection, INSERT_CHECKPOINT, s -> s.bind("$1", projection.name()).bind("$2", next)))
                            .thenReturn(new NewGeneration(next, true));
                }));
    }

    /** A generation made by {@link #createBuildingGeneration}. */
    public record NewGeneration(int generation, boolean created) {}

    /**
     * Drops the tables of generations retired more than {@code grace} ago. A drop waits at most a few
     * seconds for reads still running on them (a long CSV export) and is otherwise tried again later.
     */
    Mono<Integer> dropRetired(Projection projection, Duration grace) {
        Instant cutoff = clock.instant().minus(grace);
        return generations(projection.name())
                .flatMapMany(Flux::fromIterable)
                .filter(g -> "retired".equals(g.status()) && g.droppedAt() == null && g.retiredAt() != null
                        && !g.retiredAt().isAfter(cutoff))
                .concatMap(g -> inLockedTransaction(projection.name(), connection -> Sql.update(connection,
                                "set local lock_timeout = '5s'", s -> s)
                        .thenMany(Flux.fromIterable(projection.tables())
                                .concatMap(base -> Sql.update(connection,
                                        "drop table if exists " + projection.tableNames(g.generation()).table(base), s -> s)))
                        .then(Sql.update(connection, "delete from projection_checkpoints where projection = $1 and generation = $2",
                                s -> s.bind("$1", projection.name()).bind("$2", g.generation())))
                        .then(Sql.update(connection, "update projection_generations set dropped_at = now()"
                                + " where projection = $1 and generation = $2",
                                s -> s.bind("$1", projection.name()).bind("$2", g.generation())))
                        .thenReturn(1))
                        .onErrorResume(error -> Mono.just(0)))
                .reduce(0, Integer::sum);
    }

    private <T> Mono<T> inLockedTransaction(String projection, Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(
                connections.create(),
                connection -> Mono.from(connection.beginTransaction())
                        .then(Sql.update(connection, LOCK, s -> s.bind("$1", "ledgerflow.projection-catalog." + projection)))
                        .then(work.apply(connection))
                        .flatMap(result -> Mono.from(connection.commitTransaction()).thenReturn(result))
                        .switchIfEmpty(Mono.defer(() -> Mono.from(connection.commitTransaction()).then(Mono.empty()))),
                Connection::close,
                (connection, error) -> Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty())
                        .then(Mono.from(connection.close())),
                connection -> Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty())
                        .then(Mono.from(connection.close())));
    }

    private static Mono<Void> ddl(Connection connection, TableNames tables, List<String> statements) {
        return Flux.fromIterable(statements).concatMap(sql -> Sql.update(connection, tables.resolve(sql), s -> s)).then();
    }

    private static Generation generation(Readable row) {
        return new Generation(row.get("generation", Integer.class), row.get("status", String.class),
                Boolean.TRUE.equals(row.get("indexed", Boolean.class)), instant(row, "retired_at"), instant(row, "dropped_at"));
    }

    private static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
