package dev.ledgerflow.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * HTTP/1.1 keep-alive at the socket: a connection keeps answering whatever mix of slow and instant
 * answers came before. Reactor Netty before 1.3.8 stopped reading a connection for good when a
 * request that had waited behind a slower one was answered at once (reactor-netty#4361): its
 * client then hung until it gave up. The full-HTTP tests hit it now and then (a 400 followed by
 * the next request on the same pooled connection); this reproduces it every time.
 */
class KeepAliveApiTest extends ApiTestBase {

    private static final int SOCKET_TIMEOUT_MS = 10_000;

    @LocalServerPort
    int port;

    @Test
    void a_connection_keeps_reading_after_an_instant_answer_that_waited_behind_a_slow_one() throws IOException {
        ApiClient merchant = ApiClient.newMerchant(http);
        String slow = request("/v1/transactions", merchant.key()); // a database read
        String instant = request("/v1/transactions", null); // 401 before any I/O

        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(SOCKET_TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write((slow + instant).getBytes(StandardCharsets.US_ASCII)); // the second waits behind the first
            out.flush();
            assertThat(statusOf(in)).isEqualTo(200);
            assertThat(statusOf(in)).isEqualTo(401);

            for (int i = 0; i < 3; i++) { // the connection is still read: later requests are answered
                out.write(instant.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(statusOf(in)).as("request %d after the pipelined pair", i + 1).isEqualTo(401);
            }
            out.write(slow.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(statusOf(in)).isEqualTo(200);
        }
    }

    private static String request(String path, String key) {
        return "GET " + path + " HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n")
                + "Accept: application/json\r\n"
                + "\r\n";
    }

    /** Reads one response (headers and its Content-Length body) and returns its status. */
    private static int statusOf(InputStream in) throws IOException {
        String head;
        try {
            head = RawHttp.readHead(in);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + SOCKET_TIMEOUT_MS + " ms: the server stopped reading the connection", e);
        }
        int contentLength = 0;
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                contentLength = Integer.parseInt(line.substring("content-length:".length()).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            skipChunks(in);
        } else {
            in.readNBytes(contentLength);
        }
        return Integer.parseInt(head.substring(9, 12)); // "HTTP/1.1 200 OK"
    }

    private static void skipChunks(InputStream in) throws IOException {
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].strip(), 16);
            if (size == 0) {
                readLine(in); // the empty line after the last chunk (no trailers are sent)
                return;
            }
            in.readNBytes(size);
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
