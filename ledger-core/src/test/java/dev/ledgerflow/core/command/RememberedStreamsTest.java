package dev.ledgerflow.core.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.eventstore.CountingEventStore;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.AuthorizePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CancelPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CapturePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreatePayment;
import dev.ledgerflow.core.payment.domain.PaymentEvent;
import dev.ledgerflow.core.payment.domain.PaymentRejection;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.domain.PaymentStatus;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The executor remembers the streams it wrote and read. Two service instances share one real
 * PostgreSQL database here: {@code here} and {@code there}, each with its own store, pool and cache.
 */
class RememberedStreamsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final PaymentAggregate PAYMENTS = PaymentAggregate.INSTANCE;
    private static final String MERCHANT = "mer_remembered";

    private static PostgresSettings database;
    private static Instance here;
    private static Instance there;

    /** One service instance: its own pool, store (counted) and executor. */
    private record Instance(ConnectionPool pool, PostgresEventStore postgres, CountingEventStore store, CommandExecutor executor)
            implements AutoCloseable {

        static Instance on(PostgresSettings database, String name, int cachedStreamsMax) {
            ConnectionPool pool = PostgresConnections.pooled(database, name, 4);
            PostgresEventStore postgres = new PostgresEventStore(pool, PostgresConnections.direct(database, name + "-listen"),
                    PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
            CountingEventStore store = new CountingEventStore(postgres);
            return new Instance(pool, postgres, store, new CommandExecutor(store, cachedStreamsMax));
        }

        CommandResult<PaymentState, PaymentEvent, PaymentRejection> execute(PaymentCommand command) {
            var request = CommandRequest.of(PAYMENTS, StreamId.of(command.paymentId()), command, EventMetadata.of(MERCHANT));
            return executor.execute(command instanceof CreatePayment ? request.onNewStream() : request).block(WAIT);
        }

        CommandExecutor.Loaded<PaymentState> load(String paymentId) {
            return executor.load(PAYMENTS, StreamId.of(paymentId)).block(WAIT);
        }

        PaymentStatus status(String paymentId) {
            return ((PaymentState.Payment) load(paymentId).state()).status();
        }

        @Override
        public void close() {
            postgres.close();
            pool.dispose();
        }
    }

    @BeforeAll
    static void start() {
        database = TestPostgres.freshDatabase();
        here = Instance.on(database, "remembered-here", 100);
        there = Instance.on(database, "remembered-there", 100);
    }

    @AfterAll
    static void stop() {
        here.close();
        there.close();
    }

    @BeforeEach
    void resetCounts() {
        here.store().reset();
        there.store().reset();
    }

    private static String manualPaymentCreatedBy(Instance instance) {
        Instant now = Instant.now();
        String payment = Ids.newId("pay", now);
        assertThat(instance.execute(new CreatePayment(payment, MERCHANT, Money.of(1_000, CurrencyCode.of("USD")),
                CaptureMethod.MANUAL, new PaymentSource.Upi("success@upi"), null, Map.of(), now)))
                .isInstanceOf(CommandResult.Done.class);
        return payment;
    }

    @Nested
    class Commands {

        @Test
        void on_a_stream_this_instance_wrote_read_nothing() {
            String payment = manualPaymentCreatedBy(here);

            assertThat(here.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);
            assertThat(here.execute(new CapturePayment(payment, OptionalLong.of(600), Instant.now())))
                    .isInstanceOfSatisfying(CommandResult.Done.class, done -> assertThat(
                            ((PaymentState.Payment) done.state()).amountCapturedMinor()).isEqualTo(600));

            assertThat(here.store().streamReads()).isZero();
        }

        @Test
        void accepted_on_a_stale_remembered_state_conflict_and_are_decided_again_on_the_stream_as_it_is() {
            String payment = manualPaymentCreatedBy(here); // here remembers version 1, processing
            assertThat(there.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);

            // Cancel is accepted on "processing" at version 1, conflicts, and is decided again at version 2.
            var canceled = here.execute(new CancelPayment(payment, Instant.now()));

            assertThat(canceled).isInstanceOfSatisfying(CommandResult.Done.class, done ->
                    assertThat(((PaymentState.Payment) done.state()).status()).isEqualTo(PaymentStatus.CANCELED));
            assertThat(there.store().readStream(StreamId.of(payment)).collectList().block(WAIT))
                    .extracting(e -> e.type())
                    .containsExactly("payment.created", "payment.requires_capture", "payment.canceled");
            assertThat(here.store().wholeStreamReads()).isZero();
            assertThat(here.store().streamReadsAfterVersion()).isEqualTo(1);
        }

        @Test
        void rejected_on_a_stale_remembered_state_are_decided_again_before_the_rejection_is_answered() {
            String payment = manualPaymentCreatedBy(here); // here remembers version 1, processing
            assertThat(there.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);

            // A capture of a processing payment is invalid; of the authorized one it really is, it is not.
            var captured = here.execute(new CapturePayment(payment, OptionalLong.empty(), Instant.now()));

            assertThat(captured).isInstanceOfSatisfying(CommandResult.Done.class, done ->
                    assertThat(((PaymentState.Payment) done.state()).status()).isEqualTo(PaymentStatus.SUCCEEDED));
            assertThat(here.store().streamReadsAfterVersion()).isEqualTo(1);
        }

        @Test
        void rejected_after_the_stream_is_confirmed_are_answered_with_the_state_as_it_is() {
            String payment = manualPaymentCreatedBy(here);
            assertThat(there.execute(new CancelPayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);

            var captured = here.execute(new CapturePayment(payment, OptionalLong.empty(), Instant.now()));

            assertThat(captured).isInstanceOfSatisfying(CommandResult.Rejected.class, rejected -> {
                assertThat(rejected.rejection()).isEqualTo(PaymentRejection.INVALID_STATE);
                assertThat(((PaymentState.Payment) rejected.state()).status()).isEqualTo(PaymentStatus.CANCELED);
            });
        }

        @Test
        void already_done_on_a_stale_remembered_state_answers_the_state_as_it_is() {
            String payment = manualPaymentCreatedBy(here);
            assertThat(here.execute(new CancelPayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);
            here.store().reset();

            var again = here.execute(new CancelPayment(payment, Instant.now()));

            assertThat(again).isInstanceOfSatisfying(CommandResult.AlreadyDone.class, done ->
                    assertThat(((PaymentState.Payment) done.state()).status()).isEqualTo(PaymentStatus.CANCELED));
            assertThat(here.store().streamReadsAfterVersion()).isEqualTo(1); // the stream was confirmed first
            assertThat(here.store().eventsRead()).isZero();
        }
    }

    @Nested
    class Reads {

        @Test
        void see_a_write_made_through_another_instance() {
            String payment = manualPaymentCreatedBy(here);
            assertThat(here.status(payment)).isEqualTo(PaymentStatus.PROCESSING);

            assertThat(there.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);
            assertThat(there.execute(new CapturePayment(payment, OptionalLong.of(300), Instant.now())))
                    .isInstanceOf(CommandResult.Done.class);

            here.store().reset();
            CommandExecutor.Loaded<PaymentState> loaded = here.load(payment);
            assertThat(((PaymentState.Payment) loaded.state()).status()).isEqualTo(PaymentStatus.SUCCEEDED);
            assertThat(((PaymentState.Payment) loaded.state()).amountCapturedMinor()).isEqualTo(300);
            assertThat(loaded.version()).isEqualTo(3);
            // Only the two new events were read and decoded, not the stream from its start.
            assertThat(here.store().wholeStreamReads()).isZero();
            assertThat(here.store().eventsRead()).isEqualTo(2);
        }

        @Test
        void of_an_unchanged_stream_decode_nothing() {
            String payment = manualPaymentCreatedBy(here);

            CommandExecutor.Loaded<PaymentState> loaded = here.load(payment);

            assertThat(loaded.version()).isEqualTo(1);
            assertThat(here.store().streamReadsAfterVersion()).isEqualTo(1);
            assertThat(here.store().wholeStreamReads()).isZero();
            assertThat(here.store().eventsRead()).isZero();
        }

        @Test
        void of_a_stream_never_seen_fold_it_whole_and_remember_it() {
            String payment = manualPaymentCreatedBy(there);
            assertThat(there.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);

            assertThat(here.load(payment).version()).isEqualTo(2);
            assertThat(here.load(payment).version()).isEqualTo(2);

            assertThat(here.store().wholeStreamReads()).isEqualTo(1);
            assertThat(here.store().eventsRead()).isEqualTo(2);
        }
    }

    @Nested
    class Bound {

        @Test
        void past_its_size_the_least_recently_used_stream_is_forgotten() {
            try (Instance small = Instance.on(database, "remembered-small", 2)) {
                String first = manualPaymentCreatedBy(small);
                String second = manualPaymentCreatedBy(small);
                small.load(first); // first is now the most recently used
                String third = manualPaymentCreatedBy(small);

                assertThat(small.executor().cacheStats().streams()).isEqualTo(2);
                assertThat(small.executor().remembered(PAYMENTS, StreamId.of(second))).isEmpty();
                assertThat(small.executor().remembered(PAYMENTS, StreamId.of(first))).isPresent();
                assertThat(small.executor().remembered(PAYMENTS, StreamId.of(third))).isPresent();

                small.store().reset();
                assertThat(small.status(second)).isEqualTo(PaymentStatus.PROCESSING);
                assertThat(small.store().wholeStreamReads()).isEqualTo(1);
            }
        }

        @Test
        void of_zero_remembers_nothing_and_reads_every_time() {
            try (Instance none = Instance.on(database, "remembered-none", 0)) {
                String payment = manualPaymentCreatedBy(none);

                assertThat(none.execute(new AuthorizePayment(payment, Instant.now()))).isInstanceOf(CommandResult.Done.class);
                assertThat(none.status(payment)).isEqualTo(PaymentStatus.REQUIRES_CAPTURE);

                assertThat(none.executor().cacheStats().streams()).isZero();
                assertThat(none.store().wholeStreamReads()).isEqualTo(2);
            }
        }
    }
}
