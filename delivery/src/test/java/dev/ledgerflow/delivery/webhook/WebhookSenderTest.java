package dev.ledgerflow.delivery.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Where one POST goes: to the address the guard vetted and nowhere else, whatever the URL's host
 * resolves to by then, while the host still names the other end (Host header, TLS SNI, the name the
 * certificate must carry) and keeps pooled connections apart. Real local HTTP and HTTPS servers.
 */
class WebhookSenderTest {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    static final Duration WAIT = Duration.ofSeconds(10);
    /** Resolves nowhere (a reserved top-level domain): only a pinned address can reach the local server. */
    static final String HOST = "hooks.ledgerflow.test";
    static final String OTHER_HOST = "other.ledgerflow.test";
    /** TEST-NET-3: public, and nothing answers there. */
    static final String PUBLIC_ADDRESS = "203.0.113.10";
    static final SelfSignedCertificate CERTIFICATE = certificateFor(HOST);

    /** One request as the local server saw it. */
    record Seen(String host, String target, int clientPort, List<String> serverNames, String body) {}

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeAfter.reversed()) {
            closeable.close();
        }
    }

    @Test
    void the_request_goes_to_the_vetted_address_and_names_the_url_host() {
        DisposableServer server = server("127.0.0.1", false);
        WebhookSender sender = sender();

        AttemptResult result = post(sender, pinned("http://" + HOST + ":" + server.port() + "/hooks/a%20b?x=1&y=2", "127.0.0.1"));
        AttemptResult emptyPath = post(sender, pinned("http://" + HOST + ":" + server.port() + "?only=query", "127.0.0.1"));

        assertThat(result.statusCode()).as(result.error()).isEqualTo(200);
        assertThat(emptyPath.statusCode()).as(emptyPath.error()).isEqualTo(200);
        assertThat(seen).extracting(Seen::host).containsOnly(HOST + ":" + server.port());
        assertThat(seen).extracting(Seen::target).containsExactly("/hooks/a%20b?x=1&y=2", "/?only=query");
        assertThat(seen.getFirst().body()).isEqualTo("{\"id\":1}");
    }

    @Test
    void a_name_that_now_points_at_the_service_itself_is_not_looked_up_again() {
        // The guard saw a public address; by the time of the request the name answers loopback.
        DisposableServer internal = server("127.0.0.1", false);

        AttemptResult result = post(sender(), pinned("http://localhost:" + internal.port() + "/admin", PUBLIC_ADDRESS));

        assertThat(result.statusCode()).isNull();
        assertThat(result.error()).containsAnyOf("connection failed", "no answer within").doesNotContain("127.0.0.1");
        assertThat(seen).as("requests that reached the service's own network").isEmpty();
    }

    @Test
    void over_https_the_url_host_is_the_sni_and_the_name_the_certificate_is_verified_against() {
        DisposableServer server = server("127.0.0.1", true);

        AttemptResult result = post(sender(CERTIFICATE.cert()), pinned("https://" + HOST + ":" + server.port() + "/hook", "127.0.0.1"));

        assertThat(result.statusCode()).as(result.error()).isEqualTo(200);
        assertThat(seen).singleElement().satisfies(request -> {
            assertThat(request.serverNames()).containsExactly(HOST);
            assertThat(request.host()).isEqualTo(HOST + ":" + server.port());
        });
    }

    @Test
    void over_https_a_host_the_certificate_does_not_name_fails_even_with_a_connection_to_that_address_in_the_pool() {
        DisposableServer server = server("127.0.0.1", true);
        WebhookSender sender = sender(CERTIFICATE.cert());
        var named = pinned("https://" + HOST + ":" + server.port() + "/hook", "127.0.0.1");
        assertThat(post(sender, named).statusCode()).isEqualTo(200);
        // The pool works: the same host at the same address gets the open connection again.
        await().atMost(WAIT).until(() -> post(sender, named).statusCode() == 200
                && seen.getLast().clientPort() == seen.getFirst().clientPort());
        settle();

        AttemptResult other = post(sender, pinned("https://" + OTHER_HOST + ":" + server.port() + "/hook", "127.0.0.1"));

        assertThat(other.statusCode()).isNull();
        assertThat(other.error()).contains("SSLHandshakeException").contains(OTHER_HOST);
        assertThat(seen).extracting(Seen::host).containsOnly(HOST + ":" + server.port());
    }

    @Test
    void a_pooled_connection_is_reused_for_the_same_host_and_address_and_never_for_another_host() {
        DisposableServer server = server("127.0.0.1", false);
        WebhookSender sender = sender();
        var named = pinned("http://" + HOST + ":" + server.port() + "/hook", "127.0.0.1");
        post(sender, named);
        await().atMost(WAIT).until(() -> post(sender, named).statusCode() == 200
                && seen.getLast().clientPort() == seen.getFirst().clientPort());
        settle();

        AttemptResult other = post(sender, pinned("http://" + OTHER_HOST + ":" + server.port() + "/hook", "127.0.0.1"));

        assertThat(other.statusCode()).isEqualTo(200);
        Seen last = seen.getLast();
        assertThat(last.host()).isEqualTo(OTHER_HOST + ":" + server.port());
        assertThat(last.clientPort()).as("a connection of its own").isNotEqualTo(seen.getFirst().clientPort());
    }

    @Test
    void an_ipv6_literal_host_is_reached_at_that_address_and_named_in_brackets() {
        assumeThat(ipv6LoopbackAvailable()).as("an IPv6 loopback interface").isTrue();
        DisposableServer server = server("::1", false);
        var destination = new DestinationGuard(true).vet(URI.create("http://[::1]:" + server.port() + "/hook")).block(WAIT);

        AttemptResult result = post(sender(), destination);

        assertThat(result.statusCode()).as(result.error()).isEqualTo(200);
        assertThat(seen).singleElement().extracting(Seen::host).isEqualTo("[::1]:" + server.port());
    }

    @Test
    void the_host_header_leaves_out_the_scheme_default_port() {
        assertThat(WebhookSender.hostHeader(URI.create("https://hooks.example.com/x"))).isEqualTo("hooks.example.com");
        assertThat(WebhookSender.hostHeader(URI.create("https://hooks.example.com:443/x"))).isEqualTo("hooks.example.com");
        assertThat(WebhookSender.hostHeader(URI.create("http://hooks.example.com:443/x"))).isEqualTo("hooks.example.com:443");
        assertThat(WebhookSender.hostHeader(URI.create("http://[2001:db8::1]:8080/x"))).isEqualTo("[2001:db8::1]:8080");
    }

    private DisposableServer server(String bindAddress, boolean tls) {
        HttpServer server = HttpServer.create().host(bindAddress).port(0)
                .handle((request, response) -> request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .flatMap(body -> {
                            seen.add(seen(request, body));
                            return response.sendString(Mono.just("{\"received\":true}")).then();
                        }));
        if (tls) {
            server = server.secure(spec -> spec.sslContext(Http11SslContextSpec.forServer(CERTIFICATE.key(), CERTIFICATE.cert())));
        }
        DisposableServer bound = server.bindNow();
        closeAfter.add(bound::disposeNow);
        return bound;
    }

    private static Seen seen(HttpServerRequest request, String body) {
        List<String> serverNames = new ArrayList<>();
        request.withConnection(connection -> {
            SslHandler tls = connection.channel().pipeline().get(SslHandler.class);
            if (tls != null && tls.engine().getSession() instanceof ExtendedSSLSession session) {
                session.getRequestedServerNames().forEach(name ->
                        serverNames.add(name instanceof SNIHostName host ? host.getAsciiName() : name.toString()));
            }
        });
        int clientPort = ((InetSocketAddress) request.connectionRemoteAddress()).getPort();
        return new Seen(request.requestHeaders().get(HttpHeaderNames.HOST), request.uri(), clientPort, serverNames, body);
    }

    @ParameterizedTest(name = "dropped with a reset: {0}")
    @ValueSource(booleans = {false, true})
    void a_connection_dropped_before_any_answer_is_tried_once_more_on_a_new_one(boolean reset) throws Exception {
        // A receiver that drops its first connection after reading the request (as a server does with
        // a kept-alive connection it timed out just as it was reused), with a FIN or a reset (RST), then
        // answers on the next.
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<String> requests = new CopyOnWriteArrayList<>();
            Thread receiver = Thread.ofVirtual().start(() -> {
                try {
                    for (int connection = 1; connection <= 2; connection++) {
                        try (var socket = listener.accept()) {
                            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                                    StandardCharsets.ISO_8859_1));
                            requests.add(in.readLine());
                            if (connection == 1) {
                                if (reset) {
                                    socket.setSoLinger(true, 0); // close() sends RST
                                }
                            } else {
                                socket.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n"
                                        + "connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                                socket.getOutputStream().flush();
                            }
                        }
                    }
                } catch (IOException e) {
                    // the test fails on what the sender reports
                }
            });
            WebhookSender sender = sender();

            AttemptResult result = post(sender, pinned("http://" + HOST + ":" + listener.getLocalPort() + "/hooks", "127.0.0.1"));

            assertThat(result.statusCode()).as(result.error()).isEqualTo(200);
            assertThat(requests).containsExactly("POST /hooks HTTP/1.1", "POST /hooks HTTP/1.1");
            receiver.join(WAIT.toMillis());
        }
    }

    @Test
    void a_connection_idle_past_the_pool_limit_is_not_reused_so_a_receiver_closing_idle_ones_after_5_s_never_races_it()
            throws Exception {
        // Node.js and Apache httpd close a kept-alive connection 5 s after its last request. A sender that
        // reuses one about then writes its request as the receiver closes: the request is lost with the
        // connection. The pool hands out no connection idle for WebhookSender.IDLE_MAX (3 s) or longer.
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .idleTimeout(Duration.ofSeconds(5))
                .handle((request, response) -> request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .flatMap(body -> {
                            seen.add(seen(request, body));
                            return response.status(204).send();
                        }))
                .bindNow();
        closeAfter.add(server::disposeNow);
        WebhookSender sender = sender();
        var destination = pinned("http://" + HOST + ":" + server.port() + "/hooks", "127.0.0.1");
        assertThat(post(sender, destination).statusCode()).isEqualTo(204);
        await().atMost(WAIT).until(() -> post(sender, destination).statusCode() == 204
                && seen.getLast().clientPort() == seen.getFirst().clientPort());
        int keptAlive = seen.getLast().clientPort();

        // Idle for longer than the pool keeps a connection, and less than the receiver does.
        Thread.sleep(WebhookSender.IDLE_MAX.plusSeconds(1).toMillis());
        AttemptResult afterIdle = post(sender, destination);

        assertThat(afterIdle.statusCode()).as(afterIdle.error()).isEqualTo(204);
        assertThat(seen.getLast().clientPort()).as("sent on a new connection, not on the one idle for 4 s").isNotEqualTo(keptAlive);
        assertThat(WebhookSender.IDLE_MAX).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void only_a_connection_the_receiver_closed_or_reset_is_tried_again_at_once() {
        assertThat(WebhookSender.closedByReceiver(new java.net.SocketException("Connection reset"))).isTrue();
        assertThat(WebhookSender.closedByReceiver(new IOException("recvAddress(..) failed: Connection reset by peer"))).isTrue();
        assertThat(WebhookSender.closedByReceiver(new java.net.ConnectException("Connection refused"))).isFalse();
        assertThat(WebhookSender.closedByReceiver(new java.util.concurrent.TimeoutException())).isFalse();
        assertThat(WebhookSender.closedByReceiver(new IOException("Broken pipe"))).isFalse();
    }

    private WebhookSender sender(X509Certificate... trusted) {
        WebhookSender sender = new WebhookSender(REQUEST_TIMEOUT, trusted);
        closeAfter.add(sender);
        return sender;
    }

    private static AttemptResult post(WebhookSender sender, DestinationGuard.Destination destination) {
        byte[] body = "{\"id\":1}".getBytes(StandardCharsets.UTF_8);
        return sender.post(destination, Map.of("webhook-id", "msg_1"), body, Instant.now()).block(WAIT);
    }

    private static DestinationGuard.Destination pinned(String url, String addressLiteral) {
        try {
            return DestinationGuard.Destination.pinned(URI.create(url), InetAddress.getByName(addressLiteral));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(addressLiteral, e);
        }
    }

    /** Lets the pool take back the connection just used, so that a wrongly keyed pool could hand it out next. */
    private static void settle() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean ipv6LoopbackAvailable() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return socket.getLocalPort() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    // netty-pkitesting's CertificateBuilder, the replacement, needs Bouncy Castle, which is not on this classpath.
    @SuppressWarnings("deprecation")
    private static SelfSignedCertificate certificateFor(String host) {
        try {
            return new SelfSignedCertificate(host);
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }
}
