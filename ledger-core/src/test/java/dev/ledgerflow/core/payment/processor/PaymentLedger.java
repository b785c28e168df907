package dev.ledgerflow.core.payment.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.feed.CheckpointStore;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.CardNumbers;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreatePayment;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A ledger on a fresh PostgreSQL database, and the steps a merchant takes before the processor's turn. */
final class PaymentLedger implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final CurrencyCode USD = CurrencyCode.of("USD");

    final String merchant = Ids.newId("mer", Instant.now());
    final ConnectionPool pool;
    final PostgresEventStore store;
    final CommandExecutor commands;
    final CheckpointStore checkpoints;

    PaymentLedger() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "processor-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "processor-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        commands = new CommandExecutor(store);
        checkpoints = new CheckpointStore(pool);
    }

    /** A card payment of 10.00 USD, created as the HTTP layer does: only a token of the number is kept. */
    String cardPayment(Acquirer acquirer, String number, CaptureMethod captureMethod) {
        var card = new PaymentSource.Card(CardNumbers.brand(number), CardNumbers.last4(number), "fp_test", 12, 2030,
                acquirer.tokenize(number));
        return createPayment(Money.of(1_000, USD), captureMethod, card);
    }

    String upiPayment(String vpa) {
        return createPayment(Money.of(1_000, USD), CaptureMethod.AUTOMATIC, new PaymentSource.Upi(vpa));
    }

    /** A wallet payment from a new account that was funded with more than enough. */
    String walletPayment(long amountMinor, CaptureMethod captureMethod) {
        Instant now = Instant.now();
        String account = Ids.newId("acc", now);
        assertDone(commands.execute(CommandRequest.of(AccountAggregate.INSTANCE, StreamId.of(account),
                        new OpenAccount(account, merchant, USD, 0, Map.of(), now), EventMetadata.of(merchant))
                .onNewStream()).block(WAIT));
        String deposit = Ids.newId("dep", now);
        assertDone(commands.execute(CommandRequest.of(DepositAggregate.INSTANCE, StreamId.of(deposit),
                        new PostDeposit(deposit, merchant, account, USD, Money.of(2 * amountMinor, USD), now),
                        EventMetadata.of(merchant))
                .onNewStream()).block(WAIT));
        return createPayment(Money.of(amountMinor, USD), captureMethod, new PaymentSource.Wallet(account, USD));
    }

    String createPayment(Money amount, CaptureMethod captureMethod, PaymentSource source) {
        Instant now = Instant.now();
        String payment = Ids.newId("pay", now);
        execute(new CreatePayment(payment, merchant, amount, captureMethod, source, null, Map.of(), now));
        return payment;
    }

    /** Runs a merchant's command on a payment and expects it to be appended. */
    void execute(PaymentCommand command) {
        var request = CommandRequest.of(PaymentAggregate.INSTANCE, StreamId.of(command.paymentId()), command,
                EventMetadata.of(merchant));
        assertDone(commands.execute(command instanceof CreatePayment ? request.onNewStream() : request).block(WAIT));
    }

    PaymentState.Payment payment(String paymentId) {
        return (PaymentState.Payment) commands.load(PaymentAggregate.INSTANCE, StreamId.of(paymentId)).block(WAIT).state();
    }

    List<RecordedEvent> events(String paymentId) {
        return store.readStream(StreamId.of(paymentId)).collectList().block(WAIT);
    }

    List<String> eventTypes(String paymentId) {
        return events(paymentId).stream().map(RecordedEvent::type).toList();
    }

    @Override
    public void close() {
        store.close();
        pool.dispose();
    }

    private static void assertDone(CommandResult<?, ?, ?> result) {
        assertThat(result).isInstanceOf(CommandResult.Done.class);
    }
}
