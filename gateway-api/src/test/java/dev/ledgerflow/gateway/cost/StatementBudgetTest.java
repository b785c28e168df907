package dev.ledgerflow.gateway.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.gateway.ApiClient;
import dev.ledgerflow.gateway.ApiTestBase;
import dev.ledgerflow.delivery.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The cost of a payment in SQL statements, counted by PostgreSQL itself ({@code pg_stat_statements},
 * which the embedded test PostgreSQL preloads): a regression that makes the service talk to its
 * database more per payment, or poll while it has nothing to do, fails here.
 *
 * <p>Budgets, from what the single tail of the log reaches (see docs/benchmarks.md; before it, this test
 * measured 8.8 statements per payment and 30.7 a second idle; with it, the payment processor folding
 * from the events it is handed, the webhook worker's batches and the paced tail, 1.7 and 2.6): a card payment
 * taken end to end — created over HTTP, authorized and captured by the processor, projected into
 * every read model, and its {@code payment.succeeded} webhook delivered and recorded — costs at most
 * {@link #STATEMENTS_PER_PAYMENT_MAX} statements, everything the service does meanwhile included
 * (but the simulated acquirer's own book, {@code acquirer_charges}, which stands in for another system);
 * an idle service makes at most {@link #IDLE_STATEMENTS_PER_SECOND_MAX} statements a second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestPropertySource(properties = {
    "ledger.acquirer-latency=2ms",
    "ledger.webhooks.allow-private-destinations=true"
})
class StatementBudgetTest extends ApiTestBase {

    static final int PAYMENTS = 400;
    static final double STATEMENTS_PER_PAYMENT_MAX = 3;
    static final double IDLE_STATEMENTS_PER_SECOND_MAX = 5;
    static final Duration WAIT = Duration.ofSeconds(90);
    /** Marks the test's own statements, which are not the service's cost. */
    static final String MARK = "/* statement-budget-test */ ";

    @Autowired
    PostgresSettings database;

    WebhookReceiver receiver;
    Connection jdbc;

    @BeforeAll
    void connect() throws SQLException {
        jdbc = DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
        try (Statement statement = jdbc.createStatement()) {
            statement.execute("create extension if not exists pg_stat_statements");
            statement.executeQuery(MARK + "select count(*) from pg_stat_statements").close();
        } catch (SQLException e) {
            Assumptions.abort("pg_stat_statements is not preloaded on this PostgreSQL: " + e.getMessage());
        }
        receiver = WebhookReceiver.start();
    }

    @AfterAll
    void close() throws SQLException {
        receiver.close();
        jdbc.close();
    }

    @Test
    @Order(1)
    void a_card_payment_end_to_end_costs_a_bounded_number_of_statements() throws SQLException {
        ApiClient merchant = ApiClient.newMerchant(http);
        merchant.created("/v1/webhook-endpoints",
                "{\"url\":\"" + receiver.url("/hooks") + "\",\"events\":[\"payment.succeeded\"]}");
        awaitQuiet();
        resetStatements();

        List<String> ids = Flux.range(0, PAYMENTS)
                .parallel(16).runOn(Schedulers.boundedElastic())
                .map(n -> (String) merchant.created("/v1/payments", "{\"amount\":" + (1_000 + n)
                        + ",\"currency\":\"usd\",\"source\":{\"type\":\"card\",\"number\":\"4242424242424242\","
                        + "\"exp_month\":12,\"exp_year\":2099,\"cvc\":\"123\"}}").get("id"))
                .sequential()
                .collectList()
                .block(WAIT);
        assertThat(ids).hasSize(PAYMENTS);

        await().atMost(WAIT).until(() -> receiver.receivedAt("/hooks").size() >= PAYMENTS);
        awaitQuiet();

        Cost cost = cost();
        double perPayment = (double) cost.statements() / PAYMENTS;
        System.out.printf("Statement budget: %d payments end to end took %d statements (%.1f per payment,"
                + " %.2f ms of PostgreSQL execution per payment); the most frequent:%n%s%n",
                PAYMENTS, cost.statements(), perPayment, cost.execMs() / PAYMENTS, cost.top());
        assertThat(perPayment).as("SQL statements per payment, end to end").isLessThanOrEqualTo(STATEMENTS_PER_PAYMENT_MAX);
    }

    @Test
    @Order(2)
    void an_idle_service_makes_almost_no_statements() throws SQLException {
        awaitQuiet();
        resetStatements();
        long startNanos = System.nanoTime();
        // A rate needs a span of time: this is a measurement window, not a wait for something to happen.
        Duration window = Duration.ofSeconds(10);
        await().pollDelay(window).atMost(window.plusSeconds(5)).until(() -> true);
        double seconds = (System.nanoTime() - startNanos) / 1e9;

        Cost cost = cost();
        double perSecond = cost.statements() / seconds;
        System.out.printf("Statement budget: idle for %.1f s, %d statements (%.2f/s):%n%s%n",
                seconds, cost.statements(), perSecond, cost.top());
        assertThat(perSecond).as("SQL statements per second of an idle service").isLessThanOrEqualTo(IDLE_STATEMENTS_PER_SECOND_MAX);
    }

    /** Waits until every consumer of the log has finished with it and saved where it is. */
    private void awaitQuiet() {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            String sql = MARK + "with head as (select txid::text::bigint as txid, position from events"
                    + "   order by events.txid desc, events.position desc limit 1)"
                    + " select not exists (select 1 from consumer_checkpoints c, head h"
                    + "     where (c.txid, c.position) < (h.txid, h.position))"
                    + " and not exists (select 1 from consumer_leases c, head h where c.consumer not like 'projection:%'"
                    + "     and (c.txid, c.position) < (h.txid, h.position))"
                    + " and not exists (select 1 from projection_checkpoints c join projection_generations g"
                    + "     using (projection, generation), head h"
                    + "     where g.status = 'active' and (c.txid, c.position) < (h.txid, h.position))"
                    + " and not exists (select 1 from webhook_deliveries where status <> 'succeeded') as quiet";
            try (Statement statement = jdbc.createStatement(); ResultSet row = statement.executeQuery(sql)) {
                row.next();
                return row.getBoolean("quiet");
            }
        });
    }

    private void resetStatements() throws SQLException {
        try (Statement statement = jdbc.createStatement()) {
            statement.executeQuery(MARK + "select pg_stat_statements_reset(0, (select oid from pg_database"
                    + " where datname = current_database()), 0)").close();
        }
    }

    private Cost cost() throws SQLException {
        String where = " from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())"
                + " and query not like '%statement-budget-test%' and query not like '%pg_stat_statements%'"
                // The simulated acquirer's book stands in for the acquirer's own database: its cost, not ours.
                + " and query not like '%acquirer_charges%'";
        long statements;
        double execMs;
        try (Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery(MARK + "select coalesce(sum(calls), 0) as calls,"
                        + " coalesce(sum(total_exec_time), 0) as ms" + where)) {
            row.next();
            statements = row.getLong("calls");
            execMs = row.getDouble("ms");
        }
        List<String> top = new ArrayList<>();
        try (Statement statement = jdbc.createStatement();
                ResultSet rows = statement.executeQuery(MARK + "select calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as query"
                        + where + " order by calls desc limit 15")) {
            while (rows.next()) {
                top.add(String.format("%8d  %s", rows.getLong("calls"), rows.getString("query")));
            }
        }
        // The append itself (the group commit's one statement per batch), for what a change to it costs.
        String append;
        try (Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery(MARK + "select coalesce(sum(calls), 0) as calls,"
                        + " coalesce(sum(total_exec_time), 0) as ms" + where + " and query like '%ledger_append_batch%'")) {
            row.next();
            long calls = row.getLong("calls");
            append = String.format("%d append batches, %.2f ms each, %.3f ms per payment", calls,
                    calls == 0 ? 0 : row.getDouble("ms") / calls, row.getDouble("ms") / PAYMENTS);
        }
        return new Cost(statements, execMs, append + "\n" + String.join("\n", top));
    }

    record Cost(long statements, double execMs, String top) {}
}
