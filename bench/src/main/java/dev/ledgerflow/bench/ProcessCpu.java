package dev.ledgerflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time used by the service's own processes, from Linux's {@code /proc}: the PostgreSQL server
 * (its postmaster, every backend and the workers it has reaped) and the service JVM. On a machine
 * shared with other work, wall time stretches with the others' load while the CPU time a run needs
 * stays about the same, so it is the steadier figure for comparing two versions of the code.
 */
final class ProcessCpu {

    /** Clock ticks per second of {@code /proc/<pid>/stat}: 100 on every Linux the harness runs on. */
    private static final double TICKS_PER_SECOND = 100;

    private final long postmasterPid;
    private final long servicePid;

    private ProcessCpu(long postmasterPid, long servicePid) {
        this.postmasterPid = postmasterPid;
        this.servicePid = servicePid;
    }

    /** CPU seconds so far, per side. */
    record Sample(double postgresSeconds, double serviceSeconds) {
        Sample minus(Sample earlier) {
            return new Sample(postgresSeconds - earlier.postgresSeconds, serviceSeconds - earlier.serviceSeconds);
        }
    }

    /**
     * The meter for the PostgreSQL server behind {@code checks} (when it runs on this machine) and the
     * service JVM {@code servicePid} (negative when the harness did not start it); empty without /proc.
     */
    static Optional<ProcessCpu> of(Checks checks, long servicePid) {
        try (Connection c = checks.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            Path backend = Path.of("/proc", Integer.toString(rs.getInt(1)), "stat");
            if (!Files.isReadable(backend) || !Files.readString(backend).contains("(postgres)")) {
                return Optional.empty(); // PostgreSQL runs elsewhere
            }
            long postmaster = Long.parseLong(fields(Files.readString(backend))[1]);
            return Optional.of(new ProcessCpu(postmaster, servicePid));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    Sample sample() {
        double postgres = ticks(postmasterPid, true);
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : (Iterable<Path>) processes::iterator) {
                String name = process.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String[] f = fields(Files.readString(process.resolve("stat")));
                    if (Long.parseLong(f[1]) == postmasterPid) {
                        postgres += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException | RuntimeException gone) {
                    // The process ended meanwhile: its time is now in the postmaster's children's time.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        double service = servicePid > 0 ? ticks(servicePid, false) : 0;
        return new Sample(postgres / TICKS_PER_SECOND, service / TICKS_PER_SECOND);
    }

    /** A process's user and system ticks, with those of its reaped children if asked. */
    private static double ticks(long pid, boolean withChildren) {
        try {
            String[] f = fields(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return withChildren ? ticks + Long.parseLong(f[13]) + Long.parseLong(f[14]) : ticks;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The fields after the command name (which may hold spaces): [0] is the state, [1] the parent pid, [11..14] the times. */
    private static String[] fields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
