package dev.ledgerflow.gateway.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.projections.projector.Projections;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;

/**
 * A CSV export of a million transactions streams: the server reads rows from the database only as the
 * client takes the file, so a client that pauses holds the export at a small window of rows.
 */
class CsvExportApiTest extends ApiTestBase {

    private static final int ROWS = 1_000_000;

    @Autowired
    ConnectionPool pool;

    @Autowired
    Projections projections;

    @Autowired
    MeterRegistry meters;

    @LocalServerPort
    int port;

    @Test
    void a_million_row_export_streams_in_a_window_bounded_by_what_the_client_has_taken() throws Exception {
        ApiClient merchant = ApiClient.newMerchant(http);
        String table = projections.catalog().active("transactions").block().table("transactions");
        execute("insert into " + table + " (id, merchant_id, type, status, amount, currency, account_id, created_at,"
                + " updated_at, version, position)"
                + " select 'dep_' || lpad(i::text, 26, '0'), '" + merchant.merchantId + "', 'deposit', 'posted', i, 'USD',"
                + " 'acc_X', timestamptz '2025-01-01' + i * interval '1 second', now(), 1, i"
                + " from generate_series(1, " + ROWS + ") as i");
        double exportedBefore = exported();

        AtomicLong bytes = new AtomicLong();
        AtomicLong lines = new AtomicLong();
        AtomicReference<String> firstLine = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        var done = new java.util.concurrent.CountDownLatch(1);
        BaseSubscriber<DataBuffer> reader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(DataBuffer buffer) {
                String text = buffer.toString(StandardCharsets.UTF_8);
                DataBufferUtils.release(buffer);
                if (firstLine.get() == null) {
                    firstLine.set(text.substring(0, text.indexOf("\r\n")));
                }
                bytes.addAndGet(text.length());
                lines.addAndGet(text.chars().filter(c -> c == '\n').count());
                if (lines.get() < 5_000) {
                    request(1);
                }
            }

            @Override
            protected void hookOnError(Throwable error) {
                failed.set(error);
                done.countDown();
            }

            @Override
            protected void hookOnComplete() {
                done.countDown();
            }
        };
        WebClient.create("http://localhost:" + port).get().uri("/v1/transactions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + merchant.key())
                .header(HttpHeaders.ACCEPT, "text/csv")
                .retrieve()
                .bodyToFlux(DataBuffer.class)
                .subscribe(reader);

        // The client took about 5,000 lines and stopped reading. The server fills what the connection
        // buffers between them (kernel socket buffers, a few MB), then stops reading rows as well.
        await().atMost(Duration.ofSeconds(60)).until(() -> lines.get() >= 5_000);
        AtomicLong previous = new AtomicLong(-1);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            long now = (long) (exported() - exportedBefore);
            return now == previous.getAndSet(now);
        });
        double whilePaused = exported() - exportedBefore;
        assertThat(whilePaused).as("rows read from the database while the client has taken 5,000").isLessThan(ROWS / 10.0);
        assertThat(lines.get()).isLessThan(10_000);

        reader.request(Long.MAX_VALUE);
        assertThat(done.await(180, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(failed.get()).isNull();
        assertThat(firstLine.get()).startsWith("id,type,status,amount");
        assertThat(lines.get()).isEqualTo(ROWS + 1);
        assertThat(exported() - exportedBefore).isEqualTo(ROWS);
    }

    private double exported() {
        return meters.get("ledger.export.rows").counter().count();
    }

    private void execute(String sql) {
        Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement(sql).execute()).flatMap(r -> Mono.from(r.getRowsUpdated())),
                c -> c.close()).block(Duration.ofMinutes(3));
    }
}
