package dev.ledgerflow.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** Collects results and checks, and writes them as markdown and JSON under bench/results/. */
final class Report {

    private final List<Load.Result> results = new ArrayList<>();
    private final List<Checks.Outcome> checks = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<Load.Result, CpuMeter.Usage> cpu = new java.util.IdentityHashMap<>();
    private CpuMeter meter;
    private final List<String> profile = new ArrayList<>();

    /** The summary of the service's CPU profile ({@code --profile}). */
    void profile(List<String> lines) {
        profile.addAll(lines);
        lines.forEach(line -> System.out.println("  " + line));
    }

    private PgStatements statements;
    private volatile boolean statementsArmed;
    private volatile long runStartedNanos;
    private final List<SqlRow> sql = new ArrayList<>();
    private Idle idle;

    /** The statements the service's database ran during one run (or a longer stretch, such as end to end's drain). */
    record SqlRow(String name, String mode, long ok, PgStatements.Summary summary) {}

    /** A stretch without traffic: the CPU (if measured) and the statements (if readable). */
    record Idle(double seconds, String after, CpuMeter.Usage usage, PgStatements.Summary summary) {}

    /** Counts the statements of each run from now on: reset when a run starts, read when it is added. */
    void statements(PgStatements.Result opened) {
        environment("pg_stat_statements", opened.description());
        opened.statements().ifPresentOrElse(s -> {
            this.statements = s;
            Load.beforeEachRun(this::runStarting);
        }, () -> note(opened.description()));
    }

    boolean countsStatements() {
        return statements != null;
    }

    private void runStarting() {
        try {
            statements.reset();
            statementsArmed = true;
        } catch (java.sql.SQLException e) {
            statementsArmed = false;
            System.out.println("  pg_stat_statements_reset failed: " + e.getMessage());
        }
        runStartedNanos = System.nanoTime();
    }

    /**
     * The statements since the last run started, as a row of its own (e.g. a run and the drain after it);
     * the counting goes on.
     */
    void statementsSinceRunStarted(String name, String mode, long ok) {
        if (statements == null || runStartedNanos == 0) {
            return;
        }
        readStatements(name, mode, ok, (System.nanoTime() - runStartedNanos) / 1e9);
    }

    private void readStatements(String name, String mode, long ok, double seconds) {
        try {
            PgStatements.Summary summary = statements.read(seconds);
            sql.add(new SqlRow(name, mode, ok, summary));
            System.out.println(String.format("  SQL: %.1f statements per ok request (%d in %.1f s, %d distinct), PostgreSQL exec %.2f ms per ok request",
                    summary.callsPer(ok), summary.calls(), seconds, summary.distinct(), summary.execMsPer(ok)));
        } catch (java.sql.SQLException e) {
            System.out.println("  reading pg_stat_statements failed: " + e.getMessage());
        }
    }

    /**
     * Measures {@code seconds} without traffic: the CPU of each process and the statements per second.
     *
     * @param after what came before (for the report)
     */
    void idle(java.time.Duration duration, String after) throws InterruptedException {
        if (statements != null) {
            runStarting();
        }
        long from = System.nanoTime();
        Thread.sleep(duration);
        long to = System.nanoTime();
        double seconds = (to - from) / 1e9;
        CpuMeter.Usage usage = meter == null ? null : meter.between(from, to).orElse(null);
        PgStatements.Summary summary = null;
        if (statements != null) {
            try {
                summary = statements.read(seconds);
            } catch (java.sql.SQLException e) {
                System.out.println("  reading pg_stat_statements failed: " + e.getMessage());
            }
        }
        statementsArmed = false;
        idle = new Idle(seconds, after, usage, summary);
        System.out.println("  " + idleLine(idle));
    }

    static String idleLine(Idle idle) {
        StringBuilder line = new StringBuilder(String.format("Idle %.1f s:", idle.seconds()));
        if (idle.usage() != null) {
            idle.usage().cpuSeconds().forEach((component, cpuSeconds) ->
                    line.append(String.format(" %s %.2f %% of a core,", component, 100 * cpuSeconds / idle.usage().wallSeconds())));
        }
        if (idle.summary() != null) {
            line.append(String.format(" SQL %.2f statements/s, PostgreSQL exec %.2f ms/s,", idle.summary().callsPerSecond(),
                    idle.summary().execMs() / idle.seconds()));
        }
        return line.substring(0, line.length() - 1);
    }

    /** Measures where the CPU goes during each run from now on. */
    void meter(CpuMeter cpuMeter) {
        this.meter = cpuMeter;
    }

    private final List<Throughput> throughputs = new ArrayList<>();

    /** A result without request latencies: how much work was done in how long (a rebuild's events folded). */
    record Throughput(String name, String mode, long count, String unit, double seconds) {
        double perSecond() {
            return count / seconds;
        }
    }

    void environment(String key, String value) {
        environment.put(key, value);
    }

    void add(Load.Result result) {
        results.add(result);
        System.out.println(line(result));
        if (meter != null) {
            long now = System.nanoTime();
            meter.between(now - (long) (result.seconds() * 1e9), now).ifPresent(usage -> {
                cpu.put(result, usage);
                System.out.println("  " + cpuLine(result, usage));
            });
        }
        // Only a run that just ended has its statements counted: a result put together afterwards (end to end's
        // create → webhook) would include whatever ran since.
        if (statements != null && statementsArmed) {
            statementsArmed = false;
            readStatements(result.name(), result.mode(), result.ok(), result.seconds());
        }
    }

    private static String cpuLine(Load.Result result, CpuMeter.Usage usage) {
        StringBuilder line = new StringBuilder(String.format("CPU busy %.2f cores; per ok request:", usage.busyCores()));
        usage.cpuSeconds().forEach((component, seconds) -> line.append(String.format(" %s %.2f ms,", component,
                result.ok() == 0 ? 0 : seconds * 1000 / result.ok())));
        return line.substring(0, line.length() - 1);
    }

    void add(Throughput throughput) {
        throughputs.add(throughput);
        System.out.println(line(throughput));
    }

    static String line(Throughput t) {
        return String.format("%-34s %-40s %9d %s in %.1f s = %.0f %s/s", t.name(), t.mode(), t.count(), t.unit(), t.seconds(),
                t.perSecond(), t.unit());
    }

    void check(Checks.Outcome outcome) {
        checks.add(outcome);
        System.out.println((outcome.ok() ? "  CHECK ok     " : "  CHECK FAILED ") + outcome.name() + ": " + outcome.detail());
    }

    void note(String note) {
        notes.add(note);
        System.out.println("  " + note);
    }

    boolean allChecksPassed() {
        return checks.stream().allMatch(Checks.Outcome::ok);
    }

    static String line(Load.Result r) {
        return String.format("%-34s %-40s %9d req %9.0f/s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  %s",
                r.name(), r.mode(), r.requests(), r.throughput(), ms(r.percentile(50)), ms(r.percentile(90)),
                ms(r.percentile(99)), ms(r.percentile(99.9)), ms(r.latencyMicros().getMaxValue()), r.statuses());
    }

    static String ms(long micros) {
        return String.format("%.2f ms", micros / 1000.0);
    }

    Path write(Path directory, String command) throws IOException {
        Files.createDirectories(directory);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        StringBuilder md = new StringBuilder();
        md.append("# Ledgerflow benchmark, ").append(Instant.now()).append("\n\n");
        md.append("Command: `").append(command).append("`\n\n");
        environment.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        if (!results.isEmpty()) {
            md.append("\n| scenario | mode | requests | ok/s | p50 | p90 | p99 | p99.9 | max | statuses |\n");
            md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            for (Load.Result r : results) {
                md.append(String.format("| %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %s |%n", r.name(), r.mode(), r.requests(),
                        r.throughput(), ms(r.percentile(50)), ms(r.percentile(90)), ms(r.percentile(99)),
                        ms(r.percentile(99.9)), ms(r.latencyMicros().getMaxValue()), r.statuses()));
            }
            md.append("\nLatency of fixed-rate runs counts from when each request was due (corrected for coordinated omission).\n");
        }
        if (!throughputs.isEmpty()) {
            md.append("\n| scenario | mode | count | seconds | per second |\n");
            md.append("| --- | --- | ---: | ---: | ---: |\n");
            for (Throughput t : throughputs) {
                md.append(String.format("| %s | %s | %d %s | %.1f | %.0f %s/s |%n", t.name(), t.mode(), t.count(), t.unit(),
                        t.seconds(), t.perSecond(), t.unit()));
            }
        }
        if (!cpu.isEmpty()) {
            md.append("\n## Where the CPU went\n\nCPU milliseconds per successful request, by process, sampled from /proc during each run"
                    + " (the service JVM, its embedded PostgreSQL (found by its data folder) and Redis, the load generator; \"other\" is everything else on the machine).\n\n");
            md.append("| scenario | mode | cores busy |");
            CpuMeter.COMPONENTS.forEach(c -> md.append(' ').append(c).append(" |"));
            md.append("\n| --- | --- | ---: |");
            CpuMeter.COMPONENTS.forEach(c -> md.append(" ---: |"));
            md.append('\n');
            for (Load.Result r : results) {
                CpuMeter.Usage usage = cpu.get(r);
                if (usage == null) {
                    continue;
                }
                md.append(String.format("| %s | %s | %.2f |", r.name(), r.mode(), usage.busyCores()));
                usage.cpuSeconds().values().forEach(seconds -> md.append(String.format(" %.2f |", r.ok() == 0 ? 0 : seconds * 1000 / r.ok())));
                md.append('\n');
            }
        }
        statementsMarkdown(md);
        idleMarkdown(md);
        md.append("\n## Checks\n\n");
        for (Checks.Outcome c : checks) {
            md.append("- ").append(c.ok() ? "ok" : "**FAILED**").append(" — ").append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        if (!profile.isEmpty()) {
            md.append("\n## Profile of the service (--profile)\n\n");
            profile.forEach(line -> md.append(line).append('\n'));
        }
        if (!notes.isEmpty()) {
            md.append("\n## Notes\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("time", Instant.now().toString());
        json.put("command", command);
        json.put("environment", environment);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Load.Result r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", r.name());
            row.put("mode", r.mode());
            row.put("requests", r.requests());
            row.put("ok", r.ok());
            row.put("errors", r.errors());
            row.put("seconds", r.seconds());
            row.put("ok_per_second", r.throughput());
            row.put("p50_ms", r.percentile(50) / 1000.0);
            row.put("p90_ms", r.percentile(90) / 1000.0);
            row.put("p99_ms", r.percentile(99) / 1000.0);
            row.put("p999_ms", r.percentile(99.9) / 1000.0);
            row.put("max_ms", r.latencyMicros().getMaxValue() / 1000.0);
            row.put("statuses", r.statuses());
            CpuMeter.Usage usage = cpu.get(r);
            if (usage != null) {
                row.put("cores_busy", usage.busyCores());
                Map<String, Double> perRequest = new LinkedHashMap<>();
                usage.cpuSeconds().forEach((component, seconds) -> perRequest.put(component, r.ok() == 0 ? 0 : seconds * 1000 / r.ok()));
                row.put("cpu_ms_per_ok_request", perRequest);
            }
            rows.add(row);
        }
        json.put("results", rows);
        List<Map<String, Object>> throughputRows = new ArrayList<>();
        for (Throughput t : throughputs) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", t.name());
            row.put("mode", t.mode());
            row.put("count", t.count());
            row.put("unit", t.unit());
            row.put("seconds", t.seconds());
            row.put("per_second", t.perSecond());
            throughputRows.add(row);
        }
        json.put("throughput", throughputRows);
        json.put("statements", sql.stream().map(Report::statementsJson).toList());
        if (idle != null) {
            Map<String, Object> idleJson = new LinkedHashMap<>();
            idleJson.put("seconds", idle.seconds());
            idleJson.put("after", idle.after());
            if (idle.usage() != null) {
                Map<String, Double> percent = new LinkedHashMap<>();
                idle.usage().cpuSeconds().forEach((component, s) -> percent.put(component, 100 * s / idle.usage().wallSeconds()));
                idleJson.put("cpu_percent_of_a_core", percent);
            }
            if (idle.summary() != null) {
                idleJson.put("statements_per_second", idle.summary().callsPerSecond());
                idleJson.put("exec_ms_per_second", idle.summary().execMs() / idle.seconds());
                idleJson.put("top", topJson(idle.summary(), 0));
            }
            json.put("idle", idleJson);
        }
        json.put("checks", checks);
        json.put("notes", notes);
        json.put("profile", profile);
        String jsonText = JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(json);
        Files.writeString(directory.resolve(stamp + ".md"), md);
        Files.writeString(directory.resolve(stamp + ".json"), jsonText);
        Files.writeString(directory.resolve("latest.md"), md);
        Files.writeString(directory.resolve("latest.json"), jsonText);
        return directory.resolve(stamp + ".md");
    }

    /** The per-run statement counts and each run's top statements, as markdown. */
    void statementsMarkdown(StringBuilder md) {
        if (sql.isEmpty()) {
            return;
        }
        md.append("\n## SQL statements per request\n\nStatements the service's database ran during each run, from pg_stat_statements (reset when"
                + " the run started, read when it ended; `track=top`: as clients sent them, without the statements inside functions and"
                + " triggers), per successful request, and PostgreSQL's execution time of them (not parsing, planning or round trips).\n\n");
        md.append("| scenario | mode | ok requests | statements | per ok request | statements/s | PostgreSQL exec ms per ok request |\n");
        md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (SqlRow row : sql) {
            PgStatements.Summary s = row.summary();
            md.append(String.format("| %s | %s | %d | %d | %.2f | %.0f | %.3f |%n", row.name(), row.mode(), row.ok(), s.calls(),
                    s.callsPer(row.ok()), s.callsPerSecond(), s.execMsPer(row.ok())));
        }
        for (SqlRow row : sql) {
            PgStatements.Summary s = row.summary();
            md.append(String.format("%n### Top statements: %s, %s%n%n%d distinct statements; the %d most called:%n%n", row.name(), row.mode(),
                    s.distinct(), s.top().size()));
            md.append("| calls | per ok request | mean ms | total ms | rows | statement |\n| ---: | ---: | ---: | ---: | ---: | --- |\n");
            for (PgStatements.Row r : s.top()) {
                md.append(String.format("| %d | %.2f | %.3f | %.0f | %d | `%s` |%n", r.calls(), row.ok() == 0 ? 0 : (double) r.calls() / row.ok(),
                        r.meanMs(), r.totalMs(), r.rows(), PgStatements.shorten(r.query(), 240).replace("|", "\\|").replace("`", "'")));
            }
        }
    }

    private void idleMarkdown(StringBuilder md) {
        if (idle == null) {
            return;
        }
        md.append(String.format("%n## Idle%n%nNo traffic for %.1f s, %s. Targets: the service under 1 %% of a core, under 5 SQL statements/s.%n%n",
                idle.seconds(), idle.after()));
        if (idle.usage() != null) {
            md.append("| ");
            CpuMeter.COMPONENTS.forEach(c -> md.append(c).append(" | "));
            md.append("\n|");
            CpuMeter.COMPONENTS.forEach(c -> md.append(" ---: |"));
            md.append("\n|");
            idle.usage().cpuSeconds().values().forEach(s -> md.append(String.format(" %.2f %% |", 100 * s / idle.usage().wallSeconds())));
            md.append("\n\n(% of one core.)\n");
        }
        if (idle.summary() != null) {
            PgStatements.Summary s = idle.summary();
            md.append(String.format("%nSQL: %d statements, **%.2f statements/s**, PostgreSQL exec %.2f ms/s.%n", s.calls(), s.callsPerSecond(),
                    s.execMs() / idle.seconds()));
            if (!s.top().isEmpty()) {
                md.append("\n| calls | per second | mean ms | statement |\n| ---: | ---: | ---: | --- |\n");
                for (PgStatements.Row r : s.top()) {
                    md.append(String.format("| %d | %.2f | %.3f | `%s` |%n", r.calls(), r.calls() / idle.seconds(), r.meanMs(),
                            PgStatements.shorten(r.query(), 240).replace("|", "\\|").replace("`", "'")));
                }
            }
        }
        if (idle.usage() != null || idle.summary() != null) {
            double serviceCore = idle.usage() == null ? Double.NaN : 100 * idle.usage().cpuSeconds().get("service JVM") / idle.usage().wallSeconds();
            double perSecond = idle.summary() == null ? Double.NaN : idle.summary().callsPerSecond();
            md.append(String.format("%nService JVM %.2f %% of a core (%s), %.2f statements/s (%s).%n", serviceCore,
                    serviceCore < 1 ? "met" : "**not met**", perSecond, perSecond < 5 ? "met" : "**not met**"));
        }
    }

    private static Map<String, Object> statementsJson(SqlRow row) {
        PgStatements.Summary s = row.summary();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scenario", row.name());
        json.put("mode", row.mode());
        json.put("ok", row.ok());
        json.put("seconds", s.seconds());
        json.put("statements", s.calls());
        json.put("distinct_statements", s.distinct());
        json.put("statements_per_ok_request", s.callsPer(row.ok()));
        json.put("statements_per_second", s.callsPerSecond());
        json.put("exec_ms", s.execMs());
        json.put("exec_ms_per_ok_request", s.execMsPer(row.ok()));
        json.put("top", topJson(s, row.ok()));
        return json;
    }

    private static List<Map<String, Object>> topJson(PgStatements.Summary s, long ok) {
        List<Map<String, Object>> top = new ArrayList<>();
        for (PgStatements.Row r : s.top()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("query", PgStatements.shorten(r.query(), 400));
            one.put("calls", r.calls());
            if (ok > 0) {
                one.put("calls_per_ok_request", (double) r.calls() / ok);
            }
            one.put("mean_ms", r.meanMs());
            one.put("total_ms", r.totalMs());
            one.put("rows", r.rows());
            top.add(one);
        }
        return top;
    }

    static String machine() {
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return Runtime.getRuntime().availableProcessors() + " cores, " + (memory >> 30) + " GiB memory, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
