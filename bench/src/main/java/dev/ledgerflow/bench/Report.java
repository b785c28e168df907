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

    static String machine() {
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return Runtime.getRuntime().availableProcessors() + " cores, " + (memory >> 30) + " GiB memory, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
