package dev.ledgerflow.gateway.lifecycle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The embedded default ({@code EmbeddedLedgerflow}, what {@code spring-boot:test-run} starts) as a
 * process of its own on a data folder, as a user runs it: stopped with a real SIGTERM or killed.
 */
public final class LedgerflowProcess implements AutoCloseable {

    private static final Duration START_WAIT = Duration.ofMinutes(4);
    private static final Pattern DEMO_KEY = Pattern.compile("Demo merchant API key: (\\S+)");
    private static final Pattern ADMIN_KEY_EXPORT = Pattern.compile("^  export LEDGER_ADMIN_KEY=(\\S+)$");

    private final Process process;
    private final Thread output;
    private final List<String> lines;
    public final int port;
    public final String demoKey;
    public final String adminKey;

    private LedgerflowProcess(Process process, Thread output, List<String> lines, int port, String demoKey,
            String adminKey) {
        this.process = process;
        this.output = output;
        this.lines = lines;
        this.port = port;
        this.demoKey = demoKey;
        this.adminKey = adminKey;
    }

    /** Starts the embedded default on {@code data} and waits for its banner. */
    public static LedgerflowProcess start(Path data, Map<String, String> environment) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-Dledger.data-dir=" + data,
                "-cp", System.getProperty("java.class.path"),
                "dev.ledgerflow.gateway.EmbeddedLedgerflow"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("LEDGER_"));
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().putAll(environment);
        Process process = builder.start();
        // Not a CopyOnWriteArrayList: the embedded default logs a line per request, and a copy per line made
        // this reader fall behind a load, filling the pipe and stalling the service's logging threads.
        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> running = new CompletableFuture<>();
        String[] keys = new String[2];
        Thread pump = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    Matcher demo = DEMO_KEY.matcher(line);
                    if (demo.find()) {
                        keys[0] = demo.group(1);
                    }
                    // The banner ends with the export lines: the admin key's when it was generated.
                    Matcher admin = ADMIN_KEY_EXPORT.matcher(line);
                    if (admin.find()) {
                        keys[1] = admin.group(1);
                        running.complete(null);
                    } else if (line.startsWith("  export KEY=") && environment.containsKey("LEDGER_ADMIN_KEY")) {
                        keys[1] = environment.get("LEDGER_ADMIN_KEY");
                        running.complete(null);
                    }
                }
            } catch (IOException e) {
                running.completeExceptionally(e);
            }
            running.completeExceptionally(new IllegalStateException("the service exited"));
        }, "ledgerflow-process-output");
        pump.setDaemon(true);
        pump.start();
        try {
            running.get(START_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("the service did not start; its output:\n" + String.join("\n", copy(lines)), e);
        }
        return new LedgerflowProcess(process, pump, lines, port, keys[0], keys[1]);
    }

    public String baseUrl() {
        return "http://localhost:" + port;
    }

    /** Everything the process printed so far. */
    public List<String> lines() {
        return copy(lines);
    }

    private static List<String> copy(List<String> lines) {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /**
     * Sends SIGTERM (what Ctrl-C, {@code docker stop} and Kubernetes send) and waits for the exit; the
     * JVM runs its shutdown hooks and exits with 143 (128 + SIGTERM's 15).
     *
     * <p>Through the {@link ProcessHandle}, not {@link Process#destroy()}: that one also closes the
     * pipe of the process's output, so the reader stopped at the signal and nothing the stop printed
     * was ever read (the child's later writes went into a pipe nobody read).
     */
    public int terminate() throws InterruptedException {
        process.toHandle().destroy();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.toHandle().destroyForcibly();
            process.waitFor();
            throw new IllegalStateException("the service did not stop within 2 minutes of SIGTERM");
        }
        readToTheEnd();
        return process.exitValue();
    }

    /** SIGKILL: the JVM dies at once and stops nothing. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly(); // not Process.destroyForcibly(), which drops the output not yet read
        process.waitFor();
        readToTheEnd();
    }

    /** Waits until every line the process printed is read: the pipe ends when the JVM has exited. */
    private void readToTheEnd() throws InterruptedException {
        if (!output.join(Duration.ofSeconds(30))) {
            throw new IllegalStateException("the output of the exited service did not end within 30 s: a process it"
                    + " started holds the pipe");
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
