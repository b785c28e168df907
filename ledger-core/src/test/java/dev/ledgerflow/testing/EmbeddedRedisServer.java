package dev.ledgerflow.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * A real Redis server started by this JVM from the binary the embedded-redis package ships. Used by
 * the tests and by the embedded default run; never part of the production jar.
 */
public final class EmbeddedRedisServer implements AutoCloseable {

    private static final Duration START_WAIT = Duration.ofSeconds(30);

    /** Stops the server: the library's for the tests' servers, or the owned process's. */
    private interface Stopper {
        void stop() throws IOException;
    }

    private final Stopper server;
    private final int port;

    private EmbeddedRedisServer(Stopper server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * @param dataDirectory where the append-only file is kept when {@code appendOnly}
     * @param port 0 for any free port
     */
    public static EmbeddedRedisServer start(Path dataDirectory, boolean appendOnly, int port) {
        try {
            Files.createDirectories(dataDirectory);
            int chosen = port > 0 ? port : freePort();
            RedisServer server = builder(dataDirectory, appendOnly, chosen).build();
            server.start();
            return new EmbeddedRedisServer(server::stop, chosen);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Redis", e);
        }
    }

    /**
     * The embedded default's server: append-only, a pid file in its folder, and no shutdown hook (the
     * library's would stop Redis while the service still uses it): its owner stops it ({@link #close()})
     * after the service. A server an earlier owner left serving on this folder (that JVM was killed) is
     * stopped first.
     */
    public static EmbeddedRedisServer startOwned(Path dataDirectory, int port) {
        try {
            Files.createDirectories(dataDirectory);
            Path pidFile = dataDirectory.resolve("redis.pid").toAbsolutePath();
            LeftOverServer.stop(pidFile, "redis");
            int chosen = port > 0 ? port : freePort();
            RedisServerBuilder builder = builder(dataDirectory, true, chosen).setting("pidfile " + pidFile);
            Process process = new ProcessBuilder(builder.buildCommandArgs()).redirectErrorStream(true).start();
            CompletableFuture<Void> ready = new CompletableFuture<>();
            Thread output = new Thread(() -> {
                try (BufferedReader reader = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        if (line.contains("Ready to accept connections")) {
                            ready.complete(null);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                ready.completeExceptionally(new IllegalStateException("embedded Redis exited at start"));
            }, "embedded-redis-output");
            output.setDaemon(true);
            output.start();
            try {
                ready.get(START_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw new IllegalStateException("embedded Redis did not start on port " + chosen, e);
            }
            return new EmbeddedRedisServer(() -> stopOwned(process), chosen);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Redis", e);
        }
    }

    private static void stopOwned(Process process) {
        process.destroy(); // SIGTERM: Redis flushes the append-only file and exits
        try {
            if (!process.waitFor(START_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RedisServerBuilder builder(Path dataDirectory, boolean appendOnly, int port) {
        return RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("dir " + dataDirectory.toAbsolutePath())
                .setting("appendonly " + (appendOnly ? "yes" : "no"))
                .setting("appendfsync everysec")
                .setting("save \"\"")
                .setting("protected-mode yes")
                .onShutdownForceStop(true);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops the server (a test can then start another on the same port to simulate a restart). */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
