package dev.ledgerflow.core.payment.processor;

import static dev.ledgerflow.core.payment.processor.PaymentLedger.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.eventstore.CountingEventStore;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CancelPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreateRefund;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import dev.ledgerflow.core.payment.domain.RefundStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The processor decides from the event the feed hands it, not from a read of the stream. The merchant's
 * commands go through the ledger's executor (the API); the processor has its own executor over a
 * counting store on the same real PostgreSQL, as if it ran in another instance, unless a test says
 * otherwise.
 */
class PaymentProcessorReadsTest {

    private static final ProcessorSettings SETTINGS = new ProcessorSettings(
            Duration.ofMillis(5), Duration.ofMillis(250), 4, Duration.ofMillis(10), Duration.ofMillis(40), 0.5, 256);
    private static final String APPROVED = "4242424242424242";

    private static PaymentLedger ledger;
    private static SimulatedAcquirer acquirer;
    private static CountingEventStore processorStore;
    private CommandExecutor processorCommands;
    private PaymentProcessor processor;

    @BeforeAll
    static void startLedger() {
        ledger = new PaymentLedger();
        acquirer = new SimulatedAcquirer(SETTINGS.acquirerLatency());
        processorStore = new CountingEventStore(ledger.store);
    }

    @AfterAll
    static void stopLedger() {
        ledger.close();
    }

    @BeforeEach
    void newProcessor() {
        processorCommands = new CommandExecutor(processorStore);
        processor = new PaymentProcessor(processorCommands, acquirer, SETTINGS, Clock.systemUTC(),
                new ProcessorMetrics(new SimpleMeterRegistry()));
        processorStore.reset();
    }

    private void handOver(RecordedEvent event) {
        processor.handle(event).block(WAIT);
    }

    private static RecordedEvent created(String payment) {
        return ledger.events(payment).getFirst();
    }

    @Nested
    class APaymentCreated {

        @Test
        void is_authorized_from_the_handed_event_without_reading_its_stream() {
            String payment = ledger.cardPayment(acquirer, APPROVED, CaptureMethod.MANUAL);

            handOver(created(payment));

            assertThat(processorStore.streamReads()).isZero();
            assertThat(ledger.payment(payment).status()).isEqualTo(PaymentStatus.REQUIRES_CAPTURE);
            assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.requires_capture");
        }

        @Test
        void of_a_wallet_is_authorized_without_a_read_either() {
            String payment = ledger.walletPayment(2_500, CaptureMethod.AUTOMATIC);

            handOver(created(payment));

            assertThat(processorStore.streamReads()).isZero();
            assertThat(ledger.payment(payment).status()).isEqualTo(PaymentStatus.SUCCEEDED);
        }

        @Test
        void canceled_through_another_instance_before_authorization_stays_canceled_and_the_outcome_is_dropped() {
            String payment = ledger.cardPayment(acquirer, APPROVED, CaptureMethod.MANUAL);
            ledger.execute(new CancelPayment(payment, Instant.now()));
            long chargesBefore = acquirer.charges();
            long callsBefore = acquirer.calls();

            handOver(created(payment));

            // Unseen here, the cancel is found by the append of the outcome: its version conflicts.
            assertThat(acquirer.calls() - callsBefore).isEqualTo(1);
            assertThat(acquirer.charges() - chargesBefore).isEqualTo(1);
            assertThat(ledger.payment(payment).status()).isEqualTo(PaymentStatus.CANCELED);
            assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.canceled");
            assertThat(processorStore.wholeStreamReads()).isEqualTo(1); // after the conflict, once
        }

        @Test
        void canceled_through_this_instance_before_authorization_is_skipped_without_asking_the_acquirer() {
            String payment = ledger.cardPayment(acquirer, APPROVED, CaptureMethod.MANUAL);
            assertThat(processorCommands.execute(CommandRequest.of(PaymentAggregate.INSTANCE, StreamId.of(payment),
                    (PaymentCommand) new CancelPayment(payment, Instant.now()), EventMetadata.of(ledger.merchant))).block(WAIT))
                    .isInstanceOf(CommandResult.Done.class);
            processorStore.reset();
            long callsBefore = acquirer.calls();

            handOver(created(payment));

            assertThat(acquirer.calls()).isEqualTo(callsBefore);
            assertThat(processorStore.streamReads()).isZero();
            assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.canceled");
        }

        @Test
        void handed_over_again_is_not_authorized_twice() {
            String payment = ledger.cardPayment(acquirer, APPROVED, CaptureMethod.AUTOMATIC);
            long callsBefore = acquirer.calls();
            long chargesBefore = acquirer.charges();

            handOver(created(payment));
            handOver(created(payment)); // this instance remembers the outcome: skipped
            newProcessor(); // a restart remembers nothing: asked again, answered as before, already done
            handOver(created(payment));

            assertThat(acquirer.calls() - callsBefore).isEqualTo(2);
            assertThat(acquirer.charges() - chargesBefore).isEqualTo(1);
            assertThat(ledger.eventTypes(payment)).containsExactly("payment.created", "payment.succeeded");
        }
    }

    @Nested
    class ARefundCreated {

        @Test
        void is_completed_from_the_remembered_payment_with_only_the_events_after_it_read() {
            String payment = ledger.cardPayment(acquirer, APPROVED, CaptureMethod.AUTOMATIC);
            handOver(created(payment)); // the processor now remembers the payment at version 2
            String refund = Ids.newId("re", Instant.now());
            ledger.execute(new CreateRefund(payment, refund, OptionalLong.of(400), "damaged", Instant.now()));
            processorStore.reset();

            handOver(ledger.events(payment).getLast());

            assertThat(ledger.payment(payment).refund(refund).orElseThrow().status()).isEqualTo(RefundStatus.SUCCEEDED);
            assertThat(processorStore.wholeStreamReads()).isZero();
            assertThat(processorStore.eventsRead()).isEqualTo(1); // the refund.created, nothing before it
        }

        @Test
        void of_a_payment_never_seen_here_is_completed_after_one_read() {
            String payment = ledger.walletPayment(2_500, CaptureMethod.AUTOMATIC);
            ledger.execute(new PaymentCommand.AuthorizePayment(payment, Instant.now()));
            String refund = Ids.newId("re", Instant.now());
            ledger.execute(new CreateRefund(payment, refund, OptionalLong.empty(), null, Instant.now()));

            handOver(ledger.events(payment).getLast());

            assertThat(ledger.payment(payment).refund(refund).orElseThrow().status()).isEqualTo(RefundStatus.SUCCEEDED);
            assertThat(processorStore.wholeStreamReads()).isEqualTo(1);
        }
    }
}
