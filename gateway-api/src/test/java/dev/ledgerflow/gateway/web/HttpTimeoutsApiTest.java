package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiTestBase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

/**
 * Idle and half-sent connections are closed by the server, at the socket: with the timeouts short
 * here (8 s idle, 1 s head, 1 s body), a client that sends nothing, half a request head, a head
 * trickled a byte at a time, or half a body sees the connection closed before its own patience
 * (20 s) runs out; a connection that keeps sending whole requests is served. The trickled head is
 * closed by the head timeout, before the idle timeout could.
 */
@TestPropertySource(properties = {"ledger.http.idle-timeout=8s", "ledger.http.request-head-timeout=1s",
        "ledger.http.request-body-timeout=1s"})
class HttpTimeoutsApiTest extends ApiTestBase {

    private static final int CLIENT_PATIENCE_MS = 20_000;

    @LocalServerPort
    int port;

    @Test
    void a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() throws IOException {
        try (Socket socket = connect()) {
            assertClosedByServer(socket);
        }
    }

    @Test
    void half_a_request_head_is_closed() throws IOException {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Ty");
            assertClosedByServer(socket);
        }
    }

    @Test
    void a_head_trickled_a_byte_at_a_time_is_closed_at_the_head_timeout_though_bytes_keep_coming() throws Exception {
        int beforeIdleTimeoutMs = 6_000;
        try (Socket socket = connect()) {
            socket.setSoTimeout(beforeIdleTimeoutMs);
            long started = System.nanoTime();
            String head = "GET /actuator/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(200);
            boolean closed = false;
            for (int i = 0; i < head.length() && !closed; i++) {
                try {
                    send(socket, head.substring(i, i + 1));
                    Thread.sleep(200); // a slow client: the point of the test, not a wait for the server
                } catch (IOException e) {
                    closed = true; // the server closed while we were still sending
                }
                if (Duration.ofNanos(System.nanoTime() - started).toMillis() > beforeIdleTimeoutMs) {
                    break;
                }
            }
            if (!closed) {
                assertClosedByServer(socket);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("closed before the idle timeout (8 s) could")
                    .isLessThan(Duration.ofMillis(beforeIdleTimeoutMs));
        }
    }

    @Test
    void half_a_body_is_closed() throws IOException {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk_x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"currency\":");
            assertClosedByServer(socket);
        }
    }

    @Test
    void a_connection_that_keeps_sending_whole_requests_is_served() throws IOException {
        try (Socket socket = connect()) {
            for (int i = 0; i < 3; i++) {
                send(socket, "GET /actuator/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertThat(RawHttp.readHead(socket.getInputStream())).startsWith("HTTP/1.1 ");
                skipBody(socket.getInputStream());
            }
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(CLIENT_PATIENCE_MS);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads until the server closes (whatever it answers first); fails if it is still open at the client's patience. */
    private static void assertClosedByServer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            while (in.read() >= 0) {
                // an answer (e.g. 408) may come before the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open for " + socket.getSoTimeout() + " ms", e);
        } catch (IOException reset) {
            // closed with a reset: closed all the same
        }
    }

    private static void skipBody(InputStream in) throws IOException {
        // /actuator/health answers a small chunked or sized JSON; read what is there now.
        byte[] buffer = new byte[8192];
        do {
            in.read(buffer);
        } while (in.available() > 0);
    }
}
