package dev.ledgerflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the machine's CPU goes during a run: the service's JVM, its PostgreSQL and Redis (the
 * embedded servers are the service's child processes), and this load generator, sampled from
 * {@code /proc} five times a second. On a 2-core box that runs all of them, the CPU time each spends
 * per request is what bounds throughput, and it shows which part to make cheaper.
 */
final class CpuMeter implements AutoCloseable {

    static final List<String> COMPONENTS = List.of("service JVM", "PostgreSQL", "Redis", "load generator", "other");

    private record Sample(long nanoTime, Map<String, Long> cpuNanos) {}

    private final long servicePid;
    private final String postgresDataDirectory;
    private final long ticksPerSecond;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean running = true;

    /** What ran between two moments: CPU seconds per component, and the wall seconds. */
    record Usage(Map<String, Double> cpuSeconds, double wallSeconds) {
        double busyCores() {
            return cpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum() / wallSeconds;
        }
    }

    /** @param postgresDataDirectory the service's PostgreSQL data folder: its postmaster detaches from the service */
    CpuMeter(long servicePid, Path postgresDataDirectory) {
        this.servicePid = servicePid;
        this.postgresDataDirectory = postgresDataDirectory.toString();
        this.ticksPerSecond = 100; // USER_HZ on Linux
        this.sampler = Thread.ofPlatform().daemon().name("cpu-meter").start(() -> {
            while (running) {
                Sample sample = new Sample(System.nanoTime(), read());
                synchronized (samples) {
                    samples.add(sample);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** The usage between {@code fromNanos} and {@code toNanos} (System.nanoTime), from the nearest samples. */
    Optional<Usage> between(long fromNanos, long toNanos) {
        Sample from = null;
        Sample to = null;
        synchronized (samples) {
            for (Sample sample : samples) {
                if (sample.nanoTime() <= fromNanos || from == null) {
                    from = sample;
                }
                if (to == null || sample.nanoTime() <= toNanos) {
                    to = sample;
                }
            }
        }
        if (from == null || to == null || to.nanoTime() <= from.nanoTime()) {
            return Optional.empty();
        }
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (String component : COMPONENTS) {
            long delta = to.cpuNanos().getOrDefault(component, 0L) - from.cpuNanos().getOrDefault(component, 0L);
            seconds.put(component, Math.max(0, delta) / 1e9);
        }
        return Optional.of(new Usage(seconds, (to.nanoTime() - from.nanoTime()) / 1e9));
    }

    private Map<String, Long> read() {
        Map<String, Long> cpu = new LinkedHashMap<>();
        long self = ProcessHandle.current().pid();
        long all = 0;
        long counted = 0;
        try (var stream = Files.list(Path.of("/proc"))) {
            for (Path dir : stream.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                long pid = Long.parseLong(dir.getFileName().toString());
                long nanos = cpuNanos(dir);
                if (nanos < 0) {
                    continue;
                }
                String component = component(pid, self, dir);
                if ("PostgreSQL".equals(component) && isOurPostmaster(pid)) {
                    // Backends and parallel workers that have ended live on only in their parent's time: without it a
                    // rebuild's index builds would go uncounted, and PostgreSQL's total would drop whenever a backend exits.
                    nanos += reapedChildrenNanos(dir);
                }
                all += nanos;
                if (component != null) {
                    cpu.merge(component, nanos, Long::sum);
                    counted += nanos;
                }
            }
        } catch (Exception e) {
            // /proc is Linux only; elsewhere the meter reports nothing.
        }
        cpu.put("other", all - counted);
        return cpu;
    }

    private String component(long pid, long self, Path dir) throws Exception {
        if (pid == self) {
            return "load generator";
        }
        if (pid == servicePid) {
            return "service JVM";
        }
        String command = Files.readString(dir.resolve("comm")).strip();
        if (command.startsWith("postgres")) {
            // The postmaster runs detached (started by pg_ctl); its backends and workers are its children.
            long postmaster = isOurPostmaster(pid) ? pid : ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
                    .map(ProcessHandle::pid).orElse(-1L);
            return isOurPostmaster(postmaster) ? "PostgreSQL" : null;
        }
        if (command.startsWith("redis") && ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
                .map(parent -> parent.pid() == servicePid).orElse(false)) {
            return "Redis";
        }
        return null;
    }

    private boolean isOurPostmaster(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).contains(postgresDataDirectory);
        } catch (Exception e) {
            return false;
        }
    }

    /** utime + stime of a process (all its threads), in nanoseconds; -1 if it is gone. */
    private long cpuNanos(Path dir) {
        return statNanos(dir, 11); // utime, stime (fields 14 and 15)
    }

    /** cutime + cstime: the time of the children a process has waited for, in nanoseconds; 0 if it is gone. */
    private long reapedChildrenNanos(Path dir) {
        return Math.max(0, statNanos(dir, 13)); // cutime, cstime (fields 16 and 17)
    }

    /** Two adjacent tick counts of a process's stat summed, in nanoseconds; -1 if it is gone. */
    private long statNanos(Path dir, int first) {
        try {
            String stat = Files.readString(dir.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[first]) + Long.parseLong(fields[first + 1]);
            return ticks * 1_000_000_000L / ticksPerSecond;
        } catch (Exception e) {
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join(Duration.ofSeconds(2));
    }
}
