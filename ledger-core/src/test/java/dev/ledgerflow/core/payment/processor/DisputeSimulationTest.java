package dev.ledgerflow.core.payment.processor;

import static dev.ledgerflow.core.payment.processor.PaymentLedger.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.DisputeStatus;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CapturePayment;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import io.r2dbc.spi.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The simulated acquirer's disputes on the feed of a real PostgreSQL: raised some time after capture,
 * decided some time later, with the postings that follow; timers rebuilt from their table after a restart.
 */
class DisputeSimulationTest {

    private static final ProcessorSettings SETTINGS = new ProcessorSettings(
            Duration.ofMillis(5), Duration.ofMillis(250), 4, Duration.ofMillis(10), Duration.ofMillis(40), 0.5, 256);
    private static final Duration DELAY = Duration.ofMillis(300);

    private PaymentLedger ledger;
    private SimulatedAcquirer acquirer;
    private DisputeSimulation disputes;
    private FeedConsumer consumer;

    @BeforeEach
    void start() {
        ledger = new PaymentLedger();
        acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());
        disputes = new DisputeSimulation(ledger.pool, ledger.commands, acquirer, DELAY, DELAY, Clock.systemUTC());
        consumer = new PaymentProcessor(ledger.commands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
                .consumer(ledger.store, ledger.checkpoints, disputes).start();
    }

    @AfterEach
    void stop() {
        consumer.stop().block(WAIT);
        disputes.dispose();
        ledger.close();
    }

    @Test
    void a_lost_dispute_holds_the_amount_then_takes_it_from_settlement_back_to_card_clearing() {
        String payment = ledger.cardPayment(acquirer, "4000000000002685", CaptureMethod.AUTOMATIC);

        await().atMost(WAIT).until(() -> ledger.eventTypes(payment).contains("payment.disputed"));
        assertThat(settlement()).as("posted, pending while open").containsExactly(1_000L, 1_000L);
        await().atMost(WAIT).until(() -> ledger.eventTypes(payment).contains("payment.dispute_lost"));

        assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.succeeded",
                "payment.disputed", "payment.dispute_lost");
        assertThat(ledger.payment(payment).dispute().status()).isEqualTo(DisputeStatus.LOST);
        assertThat(settlement()).as("posted, pending once lost").containsExactly(0L, 0L);
        assertThat(balance("sys_card_clearing_USD")).as("the books balance: clearing got it back").containsExactly(0L, 0L);
        await().atMost(WAIT).until(() -> rows() == 0);
    }

    @Test
    void a_won_dispute_releases_the_hold_and_the_money_stays_with_the_merchant() {
        String payment = ledger.cardPayment(acquirer, "4000000000001976", CaptureMethod.AUTOMATIC);

        await().atMost(WAIT).until(() -> ledger.eventTypes(payment).contains("payment.dispute_won"));

        assertThat(ledger.eventTypes(payment)).endsWith("payment.disputed", "payment.dispute_won");
        assertThat(settlement()).containsExactly(1_000L, 0L);
        assertThat(ledger.payment(payment).amountRefundableMinor()).isEqualTo(1_000);
    }

    @Test
    void a_manual_payment_is_disputed_only_after_its_capture_and_other_cards_never() {
        String disputed = ledger.cardPayment(acquirer, "4000000000002685", CaptureMethod.MANUAL);
        String plain = ledger.cardPayment(acquirer, "4242424242424242", CaptureMethod.AUTOMATIC);
        await().atMost(WAIT).until(() -> ledger.payment(disputed).status() == PaymentStatus.REQUIRES_CAPTURE
                && ledger.payment(plain).status() == PaymentStatus.SUCCEEDED);
        assertThat(rows()).as("only the dispute card waits").isEqualTo(1);
        // Past the first due time, the uncaptured payment was looked at and put off: its due time moved.
        await().atMost(WAIT).until(() -> dueAtMillis() > ledger.payment(disputed).createdAt().plus(DELAY).toEpochMilli());
        assertThat(ledger.eventTypes(disputed)).doesNotContain("payment.disputed");

        ledger.execute(new CapturePayment(disputed, OptionalLong.empty(), java.time.Instant.now()));

        await().atMost(WAIT).until(() -> ledger.eventTypes(disputed).contains("payment.dispute_lost"));
        assertThat(ledger.eventTypes(plain)).containsExactly("payment.created", "payment.succeeded");
    }

    @Test
    void a_dispute_due_before_a_restart_is_raised_by_the_next_instance_from_the_table() {
        consumer.stop().block(WAIT);
        disputes.dispose();
        // Due 2 s after creation: time enough to stop the instance before.
        DisputeSimulation stopped = new DisputeSimulation(ledger.pool, ledger.commands, acquirer, Duration.ofSeconds(2),
                DELAY, Clock.systemUTC());
        FeedConsumer before = new PaymentProcessor(ledger.commands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
                .consumer(ledger.store, ledger.checkpoints, stopped).start();
        String payment = ledger.cardPayment(acquirer, "4000000000002685", CaptureMethod.AUTOMATIC);
        await().atMost(WAIT).until(() -> rows() == 1 && ledger.payment(payment).status() == PaymentStatus.SUCCEEDED);
        stopped.dispose(); // the instance goes before the dispute is due
        before.stop().block(WAIT);
        assertThat(ledger.eventTypes(payment)).doesNotContain("payment.disputed");

        disputes = new DisputeSimulation(ledger.pool, ledger.commands, acquirer, DELAY, DELAY, Clock.systemUTC());
        disputes.start().block(WAIT);
        consumer = new PaymentProcessor(ledger.commands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
                .consumer(ledger.store, ledger.checkpoints, disputes).start();

        await().atMost(WAIT).until(() -> ledger.eventTypes(payment).contains("payment.dispute_lost"));
        assertThat(ledger.eventTypes(payment)).containsOnlyOnce("payment.disputed", "payment.dispute_lost");
    }

    private List<Long> settlement() {
        return balance("set_" + ledger.merchant + "_USD");
    }

    private List<Long> balance(String account) {
        return query("select posted, pending from account_balances where account_id = '" + account + "'",
                row -> List.of(row.get("posted", Long.class), row.get("pending", Long.class)));
    }

    private long rows() {
        return query("select count(*) as n from simulated_disputes", row -> row.get("n", Long.class));
    }

    private long dueAtMillis() {
        return query("select (extract(epoch from due_at) * 1000)::bigint as ms from simulated_disputes",
                row -> row.get("ms", Long.class));
    }

    private <T> T query(String sql, java.util.function.Function<io.r2dbc.spi.Readable, T> map) {
        return Flux.usingWhen(ledger.pool.create(),
                        c -> Flux.from(c.createStatement(sql).execute()).flatMap(result -> result.map(map::apply)),
                        Connection::close)
                .next()
                .block(WAIT);
    }
}
