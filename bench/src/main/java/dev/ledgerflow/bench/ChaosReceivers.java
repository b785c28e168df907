package dev.ledgerflow.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The webhook receivers of the chaos scenarios, on loopback. */
final class ChaosReceivers {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ChaosReceivers() {}

    /**
     * Answers every webhook 204 at once after verifying its signature (Standard Webhooks); keeps, per
     * (event type, object id), the webhook-ids it arrived under: more than one is a duplicate delivery.
     */
    static final class Verifying implements AutoCloseable {
        final Map<String, Set<String>> webhookIds = new ConcurrentHashMap<>();
        final LongAdder received = new LongAdder();
        final LongAdder badSignatures = new LongAdder();
        private volatile byte[] key;
        private final DisposableServer server;

        Verifying() {
            server = HttpServer.create().host("127.0.0.1").port(0)
                    .route(routes -> routes.post("/hooks", (request, response) -> request.receive().aggregate()
                            .asString(StandardCharsets.UTF_8)
                            .map(body -> {
                                accept(request.requestHeaders().get("webhook-id"), request.requestHeaders().get("webhook-timestamp"),
                                        request.requestHeaders().get("webhook-signature"), body);
                                return 204;
                            })
                            .defaultIfEmpty(400)
                            .flatMap(status -> response.status(status).send().then())))
                    .bindNow();
        }

        String url() {
            return "http://127.0.0.1:" + server.port() + "/hooks";
        }

        void secret(String whsec) {
            key = Base64.getDecoder().decode(whsec.substring("whsec_".length()));
        }

        private void accept(String webhookId, String timestamp, String signatures, String body) {
            received.increment();
            if (!verifies(webhookId, timestamp, signatures, body)) {
                badSignatures.increment();
                return;
            }
            JsonNode event = JSON.readTree(body);
            String object = event.get("type").asString() + " " + event.get("data").get("id").asString();
            webhookIds.computeIfAbsent(object, o -> ConcurrentHashMap.newKeySet()).add(webhookId);
        }

        private boolean verifies(String webhookId, String timestamp, String signatures, String body) {
            if (webhookId == null || timestamp == null || signatures == null || key == null) {
                return false;
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                byte[] expected = mac.doFinal((webhookId + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
                for (String signature : signatures.split(" ")) {
                    if (signature.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature.substring(3)))) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }

        @Override
        public void close() {
            server.disposeNow();
        }
    }

    /** Answers 204, but only after {@code delay}: a slow receiver. */
    static final class Slow implements AutoCloseable {
        final LongAdder received = new LongAdder();
        /** Requests held for the whole delay before the answer (the sender may have stopped waiting by then). */
        final LongAdder heldFull = new LongAdder();
        private final DisposableServer server;

        Slow(Duration delay) {
            server = HttpServer.create().host("127.0.0.1").port(0)
                    .route(routes -> routes.post("/hooks", (request, response) -> request.receive().then()
                            .then(Mono.fromRunnable(received::increment))
                            .then(Mono.delay(delay))
                            .then(Mono.fromRunnable(heldFull::increment))
                            .then(response.status(204).send())))
                    .bindNow();
        }

        String url() {
            return "http://127.0.0.1:" + server.port() + "/hooks";
        }

        @Override
        public void close() {
            server.disposeNow();
        }
    }

    /** Accepts connections and never answers: holds each open until closed by the other side or by {@link #close()}. */
    static final class Holding implements AutoCloseable {
        final LongAdder accepted = new LongAdder();
        private final ServerSocket server;
        private final List<Socket> held = new ArrayList<>();
        private final Thread acceptor;

        Holding() throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        accepted.increment();
                        synchronized (held) {
                            held.add(socket);
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort() + "/hooks";
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (held) {
                for (Socket socket : held) {
                    socket.close();
                }
            }
            acceptor.interrupt();
        }
    }

    /** Opens {@code count} TCP connections to the service and sends nothing on them. */
    static List<Socket> idleConnections(int port, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            sockets.add(socket);
        }
        return sockets;
    }

    /** How many of the connections the service has closed meanwhile (a read sees the end of the stream). */
    static long closedByPeer(List<Socket> sockets) {
        long closed = 0;
        for (Socket socket : sockets) {
            try {
                socket.setSoTimeout(1);
                if (socket.getInputStream().read() < 0) {
                    closed++;
                }
            } catch (java.net.SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                closed++;
            }
        }
        return closed;
    }
}
