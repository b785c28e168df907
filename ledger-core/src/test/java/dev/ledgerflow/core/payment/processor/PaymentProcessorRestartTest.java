package dev.ledgerflow.core.payment.processor;

import static dev.ledgerflow.core.payment.processor.PaymentLedger.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crash safety: a processor stopped half-way, even one that lost its checkpoint, is followed by a new
 * one that finishes every payment exactly once; nothing stays processing, nothing is charged twice.
 */
class PaymentProcessorRestartTest {

    private static final int PAYMENTS = 60;
    private static final ProcessorSettings SETTINGS = new ProcessorSettings(
            Duration.ofMillis(30), Duration.ofSeconds(1), 4, Duration.ofMillis(10), Duration.ofMillis(40), 0.5, 8);
    private static final FeedConsumer.Settings FEED = new FeedConsumer.Settings(
            SETTINGS.concurrency(), 5, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMillis(20),
            Duration.ofMillis(200));

    private PaymentLedger ledger;

    @BeforeEach
    void setUp() {
        ledger = new PaymentLedger();
    }

    @AfterEach
    void tearDown() {
        ledger.close();
    }

    @Test
    void a_processor_stopped_mid_way_and_replaced_from_the_start_of_the_feed_finishes_every_payment_exactly_once() {
        // The acquirer outlives the processor, as a real one does, and remembers its answers.
        SimulatedAcquirer acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());
        List<String> payments = IntStream.range(0, PAYMENTS)
                .mapToObj(n -> ledger.cardPayment(acquirer, "4242424242424242", CaptureMethod.AUTOMATIC))
                .toList();

        FeedConsumer first = consumer(acquirer).start();
        await().atMost(WAIT).until(() -> acquirer.charges() >= PAYMENTS / 4);
        first.stop().block(WAIT);
        assertThat(succeeded(payments)).isLessThan(PAYMENTS);

        // The worst crash: the checkpoint is lost, so the successor is handed every payment again.
        ledger.checkpoints.reset(PaymentProcessor.CONSUMER_NAME, LogPosition.START).block(WAIT);
        FeedConsumer second = consumer(acquirer).start();
        try {
            await().atMost(WAIT).until(() -> succeeded(payments) == PAYMENTS);
        } finally {
            second.stop().block(WAIT);
        }

        assertThat(acquirer.charges()).isEqualTo(PAYMENTS);
        for (String payment : payments) {
            assertThat(ledger.eventTypes(payment)).as(payment).containsExactly("payment.created", "payment.succeeded");
        }
    }

    private FeedConsumer consumer(Acquirer acquirer) {
        PaymentProcessor processor = new PaymentProcessor(ledger.commands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new SimpleMeterRegistry()));
        return new FeedConsumer(PaymentProcessor.CONSUMER_NAME, ledger.store, ledger.checkpoints, processor, FEED);
    }

    private long succeeded(List<String> payments) {
        return payments.stream().filter(p -> ledger.payment(p).status() == PaymentStatus.SUCCEEDED).count();
    }
}
