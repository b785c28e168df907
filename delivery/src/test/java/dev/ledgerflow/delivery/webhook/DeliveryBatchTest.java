package dev.ledgerflow.delivery.webhook;

import static dev.ledgerflow.delivery.webhook.WebhookHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.delivery.testing.WebhookReceiver;
import dev.ledgerflow.delivery.testing.WebhookReceiver.Answer;
import dev.ledgerflow.testing.TestRedis;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A worker takes the deliveries of a page of stream entries in one statement and records their
 * outcomes in batches, on a real PostgreSQL, Redis and HTTP receiver: the statements are counted by
 * PostgreSQL ({@code pg_stat_statements}), a slow receiver does not hold back the other records, and
 * an outcome attempted under a hold that ran out does not overwrite the newer holder's.
 */
class DeliveryBatchTest {

    static final Duration LONG_WAIT = Duration.ofSeconds(45);
    /** Marks the test's own statements, which are not the worker's. */
    static final String MARK = "/* delivery-batch-test */ ";

    WebhookReceiver receiver;
    final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeEach
    void receiver() {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeAfter.reversed()) {
            closeable.close();
        }
        receiver.close();
    }

    /**
     * A service instance whose deliveries are made and put on the stream by the dispatcher, with no
     * worker yet and no scheduler polling: a worker started afterwards reads them all together.
     */
    WebhookHarness queued(WebhookSettings settings, Map<String, String> endpointsByType, List<String> types) {
        WebhookHarness h = new WebhookHarness(TestRedis.url(), settings);
        closeAfter.add(h);
        h.scheduler = new DeliveryScheduler(h.deliveries, h.queue, settings, h.metrics); // restores the queue, never polls
        h.queue.ensureGroup().block(WAIT);
        endpointsByType.forEach((type, path) -> h.endpoint("mer_a", receiver.url(path), type));
        for (int i = 0; i < types.size(); i++) {
            h.append("mer_a", types.get(i), Map.of("id", "pay_" + i, "status", "processing"));
        }
        h.dispatcher = new WebhookDispatcher(h.deliveries, h.queue).consumer(h.store, h.checkpoints).start();
        await().atMost(WAIT).until(() -> h.dispatcher.status().eventsFinished() == types.size());
        h.dispatcher.stop().block(WAIT);
        assertThat(h.queue.state().block(WAIT).length()).isEqualTo(types.size());
        return h;
    }

    Connection jdbc(WebhookHarness h) throws SQLException {
        Connection jdbc = DriverManager.getConnection(h.database.jdbcUrl(), h.database.username(), h.database.password());
        closeAfter.add(jdbc);
        return jdbc;
    }

    static long succeeded(Connection jdbc) throws SQLException {
        try (Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery(MARK + "select count(*) from webhook_deliveries where status = 'succeeded'")) {
            row.next();
            return row.getLong(1);
        }
    }

    @Test
    void deliveries_read_together_are_taken_in_one_statement_and_recorded_in_a_few() throws SQLException {
        int count = 24;
        // Time enough for every first POST on a busy machine: retries would add statements.
        WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO))
                .withTimeouts(Duration.ofSeconds(8), Duration.ofSeconds(12));
        WebhookHarness h = queued(settings, Map.of("payment.created", "/hook"), java.util.Collections.nCopies(count, "payment.created"));
        Connection jdbc = jdbc(h);
        try (Statement statement = jdbc.createStatement()) {
            statement.execute("create extension if not exists pg_stat_statements");
            statement.executeQuery(MARK + "select pg_stat_statements_reset(0, (select oid from pg_database"
                    + " where datname = current_database()), 0)").close();
        } catch (SQLException e) {
            Assumptions.abort("pg_stat_statements is not preloaded on this PostgreSQL: " + e.getMessage());
        }

        h.worker(null);
        await().atMost(LONG_WAIT).until(() -> succeeded(jdbc) == count);
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).length() == 0);

        Map<String, Long> calls = new LinkedHashMap<>();
        try (Statement statement = jdbc.createStatement();
                ResultSet rows = statement.executeQuery(MARK + "select regexp_replace(query, '\\s+', ' ', 'g') as query, calls"
                        + " from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())"
                        + " and query not like '%delivery-batch-test%' and query not like '%pg_stat_statements%'"
                        + " order by calls desc")) {
            while (rows.next()) {
                calls.merge(rows.getString("query"), rows.getLong("calls"), Long::sum);
            }
        }
        long claims = calls.entrySet().stream().filter(e -> e.getKey().startsWith("update webhook_deliveries d set locked_until"))
                .mapToLong(Map.Entry::getValue).sum();
        long records = calls.entrySet().stream().filter(e -> e.getKey().startsWith("with outcome as"))
                .mapToLong(Map.Entry::getValue).sum();
        long total = calls.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("%d deliveries read together: %d statements (%d claim, %d record): %s%n", count, total, claims, records,
                calls);

        assertThat(claims).as("one claim for the page").isEqualTo(1);
        assertThat(records).as("record statements for %d outcomes", count).isBetween(1L, (long) count / 4);
        assertThat(total).as("every statement of the worker, transactions included").isEqualTo(claims + records);
        assertThat(h.deliveriesOf("mer_a")).hasSize(count).allSatisfy(d -> assertThat(d.attempts()).isEqualTo(1));
        assertThat(h.queue.state().block(WAIT).inFlight()).as("every entry acknowledged").isZero();
    }

    @Test
    void a_slow_receiver_in_a_page_does_not_hold_back_the_record_of_the_others() throws SQLException {
        WebhookSettings settings = WebhookHarness.testSettings(List.of(Duration.ZERO))
                .withTimeouts(Duration.ofSeconds(8), Duration.ofSeconds(12));
        Duration slowAnswer = Duration.ofSeconds(4);
        receiver.answer(request -> request.path().equals("/slow") ? Answer.ok().after(slowAnswer) : Answer.ok());
        List<String> types = new ArrayList<>(java.util.Collections.nCopies(6, "payment.succeeded"));
        types.addFirst("payment.created");
        WebhookHarness h = queued(settings, Map.of("payment.created", "/slow", "payment.succeeded", "/fast"), types);
        Connection jdbc = jdbc(h);

        Instant started = Instant.now();
        h.worker(null);
        await().atMost(LONG_WAIT).until(() -> succeeded(jdbc) == 6);
        Duration fastRecorded = Duration.between(started, Instant.now());

        var slow = h.deliveriesOf("mer_a").stream().filter(d -> d.eventType().equals("payment.created")).findFirst().orElseThrow();
        assertThat(receiver.receivedAt("/slow")).as("the slow POST is under way").hasSize(1);
        assertThat(slow.status()).as("the slow delivery, still in flight").isEqualTo("pending");
        assertThat(fastRecorded).isLessThan(slowAnswer);
        await().atMost(LONG_WAIT).until(() -> succeeded(jdbc) == 7);
        await().atMost(WAIT).until(() -> h.queue.state().block(WAIT).length() == 0);
    }

    @Nested
    class Claims {

        WebhookHarness h;
        List<String> ids;

        @BeforeEach
        void fourDeliveries() {
            h = queued(WebhookHarness.testSettings(List.of(Duration.ZERO)), Map.of("payment.created", "/hook"),
                    java.util.Collections.nCopies(4, "payment.created"));
            ids = h.deliveriesOf("mer_a").stream().map(WebhookDeliveries.Delivery::id).sorted().toList();
        }

        WebhookDeliveries.Claimed claimOne(String id, Duration hold) {
            var claims = h.deliveries.claim(List.of(id), hold).block(WAIT);
            assertThat(claims.claimed()).as("claim of %s", id).hasSize(1);
            return claims.claimed().getFirst();
        }

        AttemptResult answered(int status) {
            return new AttemptResult(Instant.now(), Duration.ofMillis(12), status, null,
                    status == 200 ? null : "the endpoint answered " + status, "…");
        }

        @Test
        void a_page_takes_only_the_deliveries_that_are_due_and_held_by_nobody() {
            String due = ids.get(0);
            String held = ids.get(1);
            String finished = ids.get(2);
            String notDue = ids.get(3);
            claimOne(held, Duration.ofMinutes(1));
            h.deliveries.record(List.of(new WebhookDeliveries.Outcome(claimOne(finished, Duration.ofMinutes(1)), answered(200),
                    WebhookDeliveries.SUCCEEDED, null, false))).block(WAIT);
            h.deliveries.record(List.of(new WebhookDeliveries.Outcome(claimOne(notDue, Duration.ofMinutes(1)), answered(500),
                    WebhookDeliveries.FAILED, Duration.ofMinutes(10), false))).block(WAIT);

            var page = h.deliveries.claim(List.of(notDue, finished, held, due, due, "wd_unknown"), Duration.ofMinutes(1)).block(WAIT);

            assertThat(page.claimed()).extracting(WebhookDeliveries.Claimed::deliveryId).containsExactly(due);
            assertThat(page.unopened()).isEmpty();
            assertThat(page.claimed().getFirst().event().payloadJson()).contains("pay_");
        }

        @Test
        void each_delivery_of_a_page_is_held_under_a_lock_token_of_its_own() {
            var page = h.deliveries.claim(ids, Duration.ofMinutes(1)).block(WAIT);

            assertThat(page.claimed()).hasSize(4);
            assertThat(page.claimed()).extracting(WebhookDeliveries.Claimed::lockToken).doesNotHaveDuplicates().doesNotContainNull();
            assertThat(h.deliveries.claim(ids, Duration.ofMinutes(1)).block(WAIT).claimed()).as("held: taken by nobody else").isEmpty();
        }

        @Test
        void an_outcome_attempted_under_a_hold_that_ran_out_is_logged_but_not_recorded_over_the_newer_hold() {
            String overtakenId = ids.get(0);
            String otherId = ids.get(1);
            WebhookDeliveries.Claimed stale = claimOne(overtakenId, Duration.ofMillis(300));
            WebhookDeliveries.Claimed other = claimOne(otherId, Duration.ofMinutes(1));
            WebhookDeliveries.Claimed current = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> h.deliveries.claim(List.of(overtakenId), Duration.ofMinutes(1)).block(WAIT).claimed(), c -> !c.isEmpty())
                    .getFirst();
            assertThat(current.lockToken()).isNotEqualTo(stale.lockToken());

            // One batch: the late failure of the first hold, and another delivery's failure under its own hold.
            h.deliveries.record(List.of(
                    new WebhookDeliveries.Outcome(stale, answered(500), WebhookDeliveries.FAILED, Duration.ofMinutes(5), false),
                    new WebhookDeliveries.Outcome(other, answered(503), WebhookDeliveries.FAILED, Duration.ofMinutes(5), false)))
                    .block(WAIT);

            var overtaken = h.deliveries.find("mer_a", overtakenId).block(WAIT);
            assertThat(overtaken.status()).as("left to the newer hold").isEqualTo("pending");
            assertThat(overtaken.lastStatusCode()).isNull();
            assertThat(overtaken.attempts()).as("the attempt still counts").isEqualTo(1);
            assertThat(h.deliveries.claim(List.of(overtakenId), Duration.ofMinutes(1)).block(WAIT).claimed())
                    .as("still held by the newer claim").isEmpty();
            var recorded = h.deliveries.find("mer_a", otherId).block(WAIT);
            assertThat(recorded.status()).isEqualTo("failed");
            assertThat(recorded.lastStatusCode()).isEqualTo(503);
            assertThat(recorded.nextAttemptAt()).isAfter(Instant.now().plus(Duration.ofMinutes(4)));

            h.deliveries.record(List.of(new WebhookDeliveries.Outcome(current, answered(200), WebhookDeliveries.SUCCEEDED, null, false)))
                    .block(WAIT);

            var done = h.deliveries.find("mer_a", overtakenId).block(WAIT);
            assertThat(done.status()).isEqualTo("succeeded");
            assertThat(done.attempts()).isEqualTo(2);
            assertThat(h.deliveries.attempts("mer_a", overtakenId).collectList().block(WAIT))
                    .extracting(WebhookDeliveries.Attempt::attempt, WebhookDeliveries.Attempt::statusCode)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 500), org.assertj.core.groups.Tuple.tuple(2, 200));
        }

        @Test
        void a_late_success_still_counts_as_the_single_claim_had_it() {
            String id = ids.get(0);
            WebhookDeliveries.Claimed stale = claimOne(id, Duration.ofMillis(300));
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> h.deliveries.claim(List.of(id), Duration.ofMinutes(1)).block(WAIT).claimed(), c -> !c.isEmpty());

            h.deliveries.record(List.of(new WebhookDeliveries.Outcome(stale, answered(200), WebhookDeliveries.SUCCEEDED, null, false)))
                    .block(WAIT);

            var done = h.deliveries.find("mer_a", id).block(WAIT);
            assertThat(done.status()).isEqualTo("succeeded");
            assertThat(done.attempts()).isEqualTo(1);
        }
    }
}
