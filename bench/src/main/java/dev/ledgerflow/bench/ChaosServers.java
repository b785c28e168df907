package dev.ledgerflow.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The servers the chaos scenarios own, each a process of its own that the harness can kill with
 * SIGKILL and start again on the same data and port: PostgreSQL (zonky's binaries, the ones the
 * embedded default runs), Redis (embedded-redis's binary), a Kafka broker (a JVM of its own).
 */
final class ChaosServers {

    private ChaosServers() {}

    /** A process started from a command line, restartable, killed with SIGKILL together with its children. */
    abstract static class Server implements AutoCloseable {
        final String name;
        final Path log;
        private Process process;

        Server(String name, Path log) {
            this.name = name;
            this.log = log;
        }

        abstract List<String> command();

        /** Waits until the server answers; throws when it does not within the limit. */
        abstract void awaitReady(Duration limit) throws Exception;

        void start() throws Exception {
            ProcessBuilder builder = new ProcessBuilder(command()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process = builder.start();
            awaitReady(Duration.ofSeconds(120));
        }

        /** SIGKILL to the server and every process it started, at once: a crash, nothing flushed, no clean shutdown. */
        void kill9() throws InterruptedException {
            if (process == null) {
                return;
            }
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            process.destroyForcibly();
            all.forEach(ProcessHandle::destroyForcibly);
            process.waitFor();
            for (ProcessHandle child : all) {
                child.onExit().join();
            }
            process = null;
        }

        /** SIGTERM and wait: a clean stop. */
        void stop() throws InterruptedException {
            if (process == null) {
                return;
            }
            process.destroy();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                kill9();
            }
            process = null;
        }

        long pid() {
            return process == null ? -1 : process.pid();
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /** PostgreSQL 17 with fsync and synchronous_commit on, in a data folder of its own. */
    static final class Postgres extends Server {
        final int port;
        final Path data;
        private final Path binary;

        private Postgres(Path binary, Path data, int port, Path log) {
            super("postgres", log);
            this.binary = binary;
            this.data = data;
            this.port = port;
        }

        /** initdb (through zonky, which also unpacks the binaries), a database {@code ledgerflow}, then stopped. */
        static Postgres create(Path data, Path log) throws Exception {
            int port = freePort();
            Path binary;
            try (EmbeddedPostgres initial = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
                    .setPort(port).start()) {
                long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().strip());
                binary = Path.of("/proc", Long.toString(pid), "exe").toRealPath();
                try (Connection c = initial.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                    s.execute("create database ledgerflow");
                }
            }
            return new Postgres(binary, data, port, log);
        }

        @Override
        List<String> command() {
            // As zonky does: PostgreSQL refuses to run as root, and in a user namespace of its own it is not.
            List<String> command = new ArrayList<>(unshareAvailable() ? List.of("unshare", "-U") : List.of());
            command.addAll(server());
            return command;
        }

        private List<String> server() {
            return List.of(binary.toString(), "-D", data.toString(), "-p", Integer.toString(port),
                    "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "shared_buffers=256MB",
                    "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
                    "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=top",
                    "-c", "unix_socket_directories=" + data);
        }

        String url() {
            return "postgresql://postgres@127.0.0.1:" + port + "/ledgerflow";
        }

        String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/ledgerflow?user=postgres";
        }

        @Override
        void awaitReady(Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            while (true) {
                try (Connection c = DriverManager.getConnection(jdbcUrl() + "&connectTimeout=2")) {
                    c.createStatement().execute("select 1");
                    return;
                } catch (SQLException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("PostgreSQL did not come up; see " + log, e);
                    }
                    Thread.sleep(100);
                }
            }
        }

        /** Runs statements as the superuser (outside any read-only default). */
        void sql(String... statements) throws SQLException {
            try (Connection c = DriverManager.getConnection(jdbcUrl()); Statement s = c.createStatement()) {
                s.execute("set default_transaction_read_only = off");
                for (String statement : statements) {
                    s.execute(statement);
                }
            }
        }
    }

    /** Redis 6.2 with its append-only file (fsync every second), as compose.yaml runs it. */
    static final class Redis extends Server {
        final int port;
        final Path data;
        private final Path binary;

        private Redis(Path binary, Path data, int port, Path log) {
            super("redis", log);
            this.binary = binary;
            this.data = data;
            this.port = port;
        }

        static Redis create(Path data, Path work, Path log) throws IOException {
            Path binary = work.resolve("redis-server");
            try (InputStream in = ChaosServers.class.getResourceAsStream("/redis-server-6.2.6-v5-linux-amd64")) {
                if (in == null) {
                    throw new IllegalStateException("no redis-server binary for linux-amd64 in embedded-redis on the classpath");
                }
                Files.copy(in, binary, StandardCopyOption.REPLACE_EXISTING);
            }
            binary.toFile().setExecutable(true);
            Files.createDirectories(data);
            return new Redis(binary, data, freePort(), log);
        }

        @Override
        List<String> command() {
            return List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", data.toString(),
                    "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes");
        }

        String url() {
            return "redis://127.0.0.1:" + port;
        }

        /** Deletes what Redis keeps on disk, so the next start is empty: "restarted empty". */
        void wipe() throws IOException {
            try (Stream<Path> files = Files.walk(data)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    if (!file.equals(data)) {
                        Files.delete(file);
                    }
                }
            }
        }

        /** One command in RESP, its first reply line. */
        String command(String... words) throws IOException {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                socket.setSoTimeout(10_000);
                StringBuilder out = new StringBuilder("*" + words.length + "\r\n");
                for (String word : words) {
                    out.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word).append("\r\n");
                }
                OutputStream stream = socket.getOutputStream();
                stream.write(out.toString().getBytes(StandardCharsets.UTF_8));
                stream.flush();
                StringBuilder line = new StringBuilder();
                InputStream in = socket.getInputStream();
                int b;
                while ((b = in.read()) >= 0 && b != '\n') {
                    line.append((char) b);
                }
                return line.toString().strip();
            }
        }

        @Override
        void awaitReady(Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            while (true) {
                try {
                    if (command("PING").equals("+PONG")) {
                        return;
                    }
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Redis did not come up; see " + log, e);
                    }
                }
                Thread.sleep(100);
            }
        }
    }

    /** A one-node KRaft broker in a JVM of its own (the project's EmbeddedKafkaServer), on fixed ports. */
    static final class Kafka extends Server {
        final int port;
        private final int controllerPort;
        private final Path data;
        private final String classpath;

        Kafka(String classpath, Path data, Path log) throws IOException {
            super("kafka", log);
            this.classpath = classpath;
            this.data = data;
            this.port = freePort();
            this.controllerPort = freePort();
        }

        @Override
        List<String> command() {
            return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseSerialGC",
                    "-cp", classpath, "dev.ledgerflow.testing.EmbeddedKafkaServer", data.toString(), Integer.toString(port),
                    Integer.toString(controllerPort));
        }

        String bootstrap() {
            return "127.0.0.1:" + port;
        }

        private int starts;

        @Override
        void start() throws Exception {
            starts++;
            super.start();
        }

        /** Its log says so once per start: a restart waits for its own line. */
        @Override
        void awaitReady(Duration limit) throws Exception {
            long deadline = System.nanoTime() + limit.toNanos();
            String ready = "Embedded Kafka on " + bootstrap();
            while (Files.readString(log).split(java.util.regex.Pattern.quote(ready), -1).length - 1 < starts) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Kafka did not come up; see " + log);
                }
                Thread.sleep(200);
            }
        }
    }

    private static boolean unshareAvailable() {
        try {
            return new ProcessBuilder("unshare", "-U", "true").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
