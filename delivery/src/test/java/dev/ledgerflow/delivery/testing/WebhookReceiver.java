package dev.ledgerflow.delivery.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on the loopback interface that receives webhooks in tests: it records every
 * request (path, headers, raw body) and answers as the test says. It can be stopped and started
 * again on the same port, to play a receiver that is down for a while.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as it arrived. */
    public record Received(String path, Map<String, List<String>> headers, String body, Instant at) {

        public String header(String name) {
            for (var entry : headers.entrySet()) {
                if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
                    return entry.getValue().getFirst();
                }
            }
            return null;
        }

        public String webhookId() {
            return header("webhook-id");
        }
    }

    /** How to answer one request. */
    public record Answer(int status, Map<String, String> headers, Duration delay) {

        public static Answer ok() {
            return status(200);
        }

        public static Answer status(int status) {
            return new Answer(status, Map.of(), Duration.ZERO);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Answer(status, more, delay);
        }

        public Answer after(Duration wait) {
            return new Answer(status, headers, wait);
        }
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private volatile Function<Received, Answer> answers = request -> Answer.ok();
    private volatile HttpServer server;
    private final int port;

    private WebhookReceiver(int port) {
        this.port = port;
    }

    /** A receiver on a free port of 127.0.0.1, answering 200 until told otherwise. */
    public static WebhookReceiver start() {
        try {
            HttpServer first = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            WebhookReceiver receiver = new WebhookReceiver(first.getAddress().getPort());
            receiver.serve(first);
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Answers each request with what {@code answering} returns (it runs on the server's threads). */
    public void answer(Function<Received, Answer> answering) {
        this.answers = answering;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Received> receivedAt(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** Closes the port: connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** Listens on the same port again. */
    public synchronized void restart() {
        if (server != null) {
            return;
        }
        IOException last = null;
        for (int i = 0; i < 50; i++) {
            try {
                serve(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0));
                return;
            } catch (BindException e) {
                last = e;
                sleep(100);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new UncheckedIOException("port " + port + " stayed busy", last);
    }

    private void serve(HttpServer created) {
        created.createContext("/", this::handle);
        created.setExecutor(executor);
        created.start();
        server = created;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Received request = new Received(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()), body,
                    Instant.now());
            received.add(request);
            Answer answer = answers.apply(request);
            if (!answer.delay().isZero()) {
                sleep(answer.delay().toMillis());
            }
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            byte[] reply = ("{\"received\":true,\"status\":" + answer.status() + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), reply.length);
            exchange.getResponseBody().write(reply);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
