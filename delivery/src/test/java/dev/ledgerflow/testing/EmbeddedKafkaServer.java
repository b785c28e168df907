package dev.ledgerflow.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka 4 broker in KRaft mode (one node that is both broker and controller) started by this
 * JVM, its log in a folder. It can be stopped and started again on the same port with the same data,
 * to test what a broker restart does to clients. Used by the tests and by the embedded default run;
 * never part of the production jar.
 */
public final class EmbeddedKafkaServer implements AutoCloseable {

    private static final int NODE_ID = 1;

    private final Path logDirectory;
    private final int port;
    private final int controllerPort;
    private KafkaRaftServer server; // guarded by this

    private EmbeddedKafkaServer(Path logDirectory, int port, int controllerPort) {
        this.logDirectory = logDirectory;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /**
     * Formats {@code dataDirectory} unless it holds a broker already, then starts the broker.
     *
     * @param port the client port; 0 for any free port (kept across {@link #stop()} and {@link #start()})
     */
    public static EmbeddedKafkaServer start(Path dataDirectory, int port) {
        try {
            Files.createDirectories(dataDirectory);
            EmbeddedKafkaServer kafka = new EmbeddedKafkaServer(
                    dataDirectory.toAbsolutePath(), port > 0 ? port : freePort(), freePort());
            kafka.formatIfNew();
            kafka.start();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Kafka in " + dataDirectory, e);
        }
    }

    /**
     * Runs a broker as a process of its own, which the chaos scenarios of the benchmark harness kill
     * and start again on the same data: arguments {@code <data directory> <port> <controller port>}.
     */
    public static void main(String[] args) throws InterruptedException {
        Path data = Path.of(args[0]).toAbsolutePath();
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedKafkaServer kafka = new EmbeddedKafkaServer(data, Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        kafka.formatIfNew();
        kafka.start();
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop));
        System.out.println("Embedded Kafka on " + kafka.bootstrapServers() + ", data in " + data);
        Thread.currentThread().join();
    }

    public int port() {
        return port;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker again after {@link #stop()}, on the same port and with the same data. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        KafkaRaftServer started = new KafkaRaftServer(KafkaConfig.fromProps(config(), false), Time.SYSTEM);
        started.startup();
        server = started;
    }

    /** Shuts the broker down (controlled shutdown, data kept); clients see it gone. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }

    private Properties config() {
        Properties config = new Properties();
        config.put("process.roles", "broker,controller");
        config.put("node.id", Integer.toString(NODE_ID));
        config.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", logDirectory.toString());
        config.put("num.partitions", "1");
        // Topics are created on purpose (the relay creates its own), never by a stray client.
        config.put("auto.create.topics.enable", "false");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("controlled.shutdown.enable", "true");
        return config;
    }

    private void formatIfNew() {
        if (Files.exists(logDirectory.resolve("meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .addDirectory(logDirectory.toString())
                    .setMetadataLogDirectory(logDirectory.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format the embedded Kafka log in " + logDirectory, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
