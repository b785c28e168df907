package dev.ledgerflow.bench;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * 6. Projection rebuild speed over a log of at least a million events: the log is seeded (see
 * {@link LogSeeder}), every reader of the feed is left to catch up, then each projection is rebuilt
 * through the admin API ({@code POST /admin/projections/{name}/rebuild}) one after the other, then all
 * of them at once, each time until {@code GET /admin/projections} shows the new generation active and
 * caught up. Events per second = events the new generation folded / the time from the rebuild request
 * to the swap; that time is taken from the service's own record (the generation's {@code created_at}
 * and {@code activated_at}) and checked against the wall time the harness saw. Afterwards
 * {@code /admin/invariants} and the no-loss check must pass.
 */
final class RebuildScenario {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration API_POLL = Duration.ofSeconds(1);
    private static final Duration PROGRESS_POLL = Duration.ofMillis(250);
    private static final Duration REBUILD_MAX = Duration.ofMinutes(60);
    private static final Duration CATCH_UP_MAX = Duration.ofMinutes(60);

    private final String baseUrl;
    private final String adminKey;
    private final Report report;
    private final Checks checks;
    private final long eventsMin;
    private final Optional<CpuMeter> cpuMeter;
    private final AdminApi api;

    /** @param cpuMeter the run's meter when the harness started the service (for its and PostgreSQL's CPU time), else empty */
    RebuildScenario(String baseUrl, String adminKey, Report report, Checks checks, long eventsMin, Optional<CpuMeter> cpuMeter) {
        this.baseUrl = baseUrl;
        this.adminKey = adminKey;
        this.report = report;
        this.checks = checks;
        this.eventsMin = eventsMin;
        this.cpuMeter = cpuMeter;
        this.api = new AdminApi(baseUrl, adminKey);
    }

    void run() throws Exception {
        LogSeeder.Seeded seeded = new LogSeeder(baseUrl, adminKey, checks).seed(eventsMin);
        report.note("rebuild: " + seeded.summary(eventsMin, "any rebuild figure"));
        report.check(checks.booksBalance());

        long catchUpStarted = System.nanoTime();
        awaitAllCaughtUp();
        report.note(String.format("rebuild: waited %.1f s for every reader of the feed (live projections in pages of 1,000, payment"
                + " processor, webhook dispatcher) to catch up with the log before rebuilding", (System.nanoTime() - catchUpStarted) / 1e9));

        long events = checks.count("select count(*) from events");
        List<String> names = projectionNames();
        for (String name : names) {
            rebuild(List.of(name), events);
        }
        rebuild(names, events);

        long invariantsStarted = System.nanoTime();
        report.check(invariants());
        report.note(String.format("rebuild: /admin/invariants over %,d events took %.1f s", events, (System.nanoTime() - invariantsStarted) / 1e9));
        report.check(checks.booksBalance());
    }

    /** Rebuilds the named projections at once and records how fast. */
    private void rebuild(List<String> names, long logEvents) throws Exception {
        System.out.println("  rebuilding " + String.join(", ", names) + " …");
        long started = System.nanoTime();
        Map<String, Integer> generations = new LinkedHashMap<>();
        for (String name : names) {
            HttpResponse<String> response = api.send("POST", "/admin/projections/" + name + "/rebuild", Duration.ofSeconds(30));
            if (response.statusCode() != 202) {
                throw new IllegalStateException("rebuild of " + name + " answered " + response.statusCode() + " " + response.body());
            }
            generations.put(name, JSON.readTree(response.body()).get("generation").asInt());
        }
        // Watch progress in the database (a cheap key lookup) and completion through the API (what an operator sees).
        Map<String, Double> foldedAt = new LinkedHashMap<>();
        Map<String, Double> indexedAt = new LinkedHashMap<>();
        long nextApiPoll = System.nanoTime();
        while (true) {
            double elapsed = (System.nanoTime() - started) / 1e9;
            if (elapsed > REBUILD_MAX.toSeconds()) {
                throw new IllegalStateException("rebuild of " + names + " did not finish within " + REBUILD_MAX);
            }
            for (var progress : progress(generations).entrySet()) {
                if (progress.getValue()[0] >= logEvents) {
                    foldedAt.putIfAbsent(progress.getKey(), elapsed);
                }
                if (progress.getValue()[1] == 1) {
                    indexedAt.putIfAbsent(progress.getKey(), elapsed);
                }
            }
            if (System.nanoTime() >= nextApiPoll) {
                nextApiPoll = System.nanoTime() + API_POLL.toNanos();
                if (activeAndCaughtUp(generations)) {
                    break;
                }
            }
            Thread.sleep(PROGRESS_POLL.toMillis());
        }
        long ended = System.nanoTime();
        double wallSeconds = (ended - started) / 1e9;
        Optional<CpuMeter.Usage> cpuUsed = cpuMeter.flatMap(meter -> meter.between(started, ended));
        Map<String, double[]> recorded = recorded(generations); // [events applied, seconds from creation to activation]
        String mode = names.size() == 1 ? "alone" : "all " + names.size() + " at once";
        if (names.size() == 1) {
            String name = names.getFirst();
            double[] r = recorded.get(name);
            report.add(new Report.Throughput("rebuild " + name, mode, (long) r[0], "events", r[1]));
            report.note(String.format("rebuild %s: %,d events folded in %.1f s (request to swap, as the service recorded it; the harness"
                            + " saw the new generation active and caught up after %.1f s); fold done after ≈%s s, indexes after ≈%s s",
                    name, (long) r[0], r[1], wallSeconds, seconds(foldedAt.get(name)), seconds(indexedAt.get(name))));
            cpuUsed.ifPresent(used -> report.note(cpuNote("rebuild " + name, used, (long) r[0])));
        } else {
            double seconds = recordedSpan(generations);
            long folded = 0;
            for (String name : names) {
                folded += (long) recorded.get(name)[0];
                report.note(String.format("rebuild %s (%s): %,d events in %.1f s; fold done after ≈%s s, indexes after ≈%s s", name, mode,
                        (long) recorded.get(name)[0], recorded.get(name)[1], seconds(foldedAt.get(name)), seconds(indexedAt.get(name))));
            }
            report.add(new Report.Throughput("rebuild " + String.join(" + ", names), mode + " (events of the log)", logEvents, "events",
                    seconds));
            report.add(new Report.Throughput("rebuild " + String.join(" + ", names), mode + " (sum over projections)", folded,
                    "events", seconds));
            report.note(String.format("rebuild of all %d projections at once: %.1f s from the first request to the last swap (the"
                    + " harness saw all active and caught up after %.1f s)", names.size(), seconds, wallSeconds));
            long events = folded;
            cpuUsed.ifPresent(used -> report.note(cpuNote("rebuild of all " + names.size() + " at once", used, events)));
        }
    }

    /** CPU time is steadier than wall time on a shared machine: events per CPU second compare runs fairly. */
    private static String cpuNote(String what, CpuMeter.Usage used, long events) {
        double postgresSeconds = used.cpuSeconds().get("PostgreSQL");
        return String.format("%s: PostgreSQL used %.1f CPU-s (%,.0f events per PostgreSQL CPU-s), the service JVM %.1f CPU-s", what,
                postgresSeconds, events / postgresSeconds, used.cpuSeconds().get("service JVM"));
    }

    private static String seconds(Double value) {
        return value == null ? "?" : String.format("%.1f", value);
    }

    /** Per rebuilding generation: events applied so far, and 1 once its indexes are built. */
    private Map<String, long[]> progress(Map<String, Integer> generations) throws Exception {
        Map<String, long[]> progress = new LinkedHashMap<>();
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select c.events_applied, g.indexed"
                + " from projection_checkpoints c join projection_generations g using (projection, generation)"
                + " where c.projection = ? and c.generation = ?")) {
            for (var g : generations.entrySet()) {
                s.setString(1, g.getKey());
                s.setInt(2, g.getValue());
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        progress.put(g.getKey(), new long[] {rs.getLong(1), rs.getBoolean(2) ? 1 : 0});
                    }
                }
            }
        }
        return progress;
    }

    /** Per generation: events applied, and seconds from its creation (the request) to its activation (the swap). */
    private Map<String, double[]> recorded(Map<String, Integer> generations) throws Exception {
        Map<String, double[]> recorded = new LinkedHashMap<>();
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select c.events_applied,"
                + " extract(epoch from g.activated_at - g.created_at) from projection_generations g"
                + " join projection_checkpoints c using (projection, generation) where g.projection = ? and g.generation = ?")) {
            for (var g : generations.entrySet()) {
                s.setString(1, g.getKey());
                s.setInt(2, g.getValue());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    recorded.put(g.getKey(), new double[] {rs.getLong(1), rs.getDouble(2)});
                }
            }
        }
        return recorded;
    }

    /** Seconds from the first generation's creation to the last one's activation. */
    private double recordedSpan(Map<String, Integer> generations) throws Exception {
        try (Connection c = checks.connect(); PreparedStatement s = c.prepareStatement("select extract(epoch from"
                + " max(activated_at) - min(created_at)) from projection_generations where (projection, generation) in"
                + " (select * from unnest(?::text[], ?::int[]))")) {
            s.setArray(1, c.createArrayOf("text", generations.keySet().toArray()));
            s.setArray(2, c.createArrayOf("int4", generations.values().toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getDouble(1);
            }
        }
    }

    /** Whether {@code GET /admin/projections} shows each of these generations active, with no rebuild left and no lag. */
    private boolean activeAndCaughtUp(Map<String, Integer> generations) throws Exception {
        int done = 0;
        for (JsonNode reader : api.readers()) {
            Integer wanted = generations.get(reader.get("name").asString());
            if (wanted != null && reader.get("generation").asInt() == wanted && reader.get("rebuild").isNull()
                    && reader.get("lag_events").asLong() == 0) {
                done++;
            }
        }
        return done == generations.size();
    }

    private void awaitAllCaughtUp() throws Exception {
        long deadline = System.nanoTime() + CATCH_UP_MAX.toNanos();
        long lastPrinted = 0;
        while (true) {
            List<String> behind = new ArrayList<>();
            for (JsonNode reader : api.readers()) {
                if (reader.get("lag_events").asLong() > 0 || !reader.get("rebuild").isNull()) {
                    behind.add(reader.get("name").asString() + " " + reader.get("lag_events").asLong());
                }
            }
            if (behind.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the feed's readers did not catch up within " + CATCH_UP_MAX + ": " + behind);
            }
            if (System.nanoTime() - lastPrinted > Duration.ofSeconds(10).toNanos()) {
                System.out.println("  waiting for the feed's readers to catch up (events behind): " + String.join(", ", behind));
                lastPrinted = System.nanoTime();
            }
            Thread.sleep(API_POLL.toMillis());
        }
    }

    private List<String> projectionNames() throws Exception {
        List<String> names = new ArrayList<>();
        for (JsonNode reader : api.readers()) {
            if ("projection".equals(reader.get("kind").asString())) {
                names.add(reader.get("name").asString());
            }
        }
        return names;
    }

    private Checks.Outcome invariants() throws Exception {
        // A replay of the whole log in SQL: minutes are possible on a busy 2-core machine.
        HttpResponse<String> response = api.send("GET", "/admin/invariants", Duration.ofMinutes(15));
        if (response.statusCode() != 200) {
            return new Checks.Outcome("/admin/invariants: projections equal a fold of the log, currencies sum to zero", false,
                    "answered " + response.statusCode() + " " + response.body());
        }
        JsonNode body = JSON.readTree(response.body());
        List<String> details = new ArrayList<>();
        body.get("currencies").forEach(c -> details.add(c.get("currency").asString() + " sum " + c.get("sum").asLong() + " over "
                + c.get("accounts").asLong() + " accounts"));
        body.get("comparisons").forEach(c -> details.add(c.get("name").asString()
                + (c.get("generation").isNull() ? "" : " g" + c.get("generation").asInt()) + ": " + c.get("mismatch_count").asLong()
                + " mismatches" + (c.get("mismatches").isEmpty() ? "" : " " + c.get("mismatches"))));
        return new Checks.Outcome("/admin/invariants: projections equal a fold of the log, currencies sum to zero",
                body.get("ok").asBoolean(), String.join("; ", details));
    }
}
