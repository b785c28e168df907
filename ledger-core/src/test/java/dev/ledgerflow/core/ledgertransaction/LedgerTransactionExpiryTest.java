package dev.ledgerflow.core.ledgertransaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.account.AccountBalances;
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
import dev.ledgerflow.core.feed.FeedConsumer;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.Leg;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionExpired;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pending ledger transactions expire at the time recorded in their event, by the processor, also when
 * the processor that saw them was stopped and a new one started after the time was up.
 */
class LedgerTransactionExpiryTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final FeedConsumer.Settings FEED = new FeedConsumer.Settings(4, 5, Duration.ofMillis(50),
            Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(200));

    final String merchant = Ids.newId("mer", Instant.now());
    ConnectionPool pool;
    PostgresEventStore store;
    CommandExecutor commands;
    CheckpointStore checkpoints;
    AccountBalances balances;
    String a;
    String b;

    @BeforeEach
    void setUp() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "expiry-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "expiry-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        commands = new CommandExecutor(store);
        checkpoints = new CheckpointStore(pool);
        balances = new AccountBalances(pool);
        a = account(1_000);
        b = account(0);
    }

    @AfterEach
    void tearDown() {
        store.close();
        pool.dispose();
    }

    @Test
    void a_pending_transaction_expires_at_its_recorded_time_and_its_holds_are_released() {
        FeedConsumer consumer = consumer(new LedgerTransactionExpiry(pool, commands, Clock.systemUTC())).start();
        try {
            Instant expiresAt = Instant.now().plusMillis(500);
            String id = pending(expiresAt, 300);
            assertThat(balances.find(a).block(WAIT).pendingMinor()).isEqualTo(301);

            await().atMost(WAIT).until(() -> status(id) == LedgerTransactionState.Status.EXPIRED);

            assertThat(expiredEvent(id).at()).isEqualTo(expiresAt);
            assertThat(balances.find(a).block(WAIT).pendingMinor()).isZero();
            assertThat(balances.find(a).block(WAIT).availableMinor()).isEqualTo(1_000);
            await().atMost(WAIT).until(() -> rows() == 0);
        } finally {
            consumer.stop().block(WAIT);
        }
    }

    @Test
    void an_expiry_survives_a_restart_of_the_processor() {
        LedgerTransactionExpiry first = new LedgerTransactionExpiry(pool, commands, Clock.systemUTC());
        FeedConsumer consumer = consumer(first).start();
        Instant expiresAt = Instant.now().plusSeconds(2);
        String id = pending(expiresAt, 300);
        await().atMost(WAIT).until(() -> rows() == 1 && first.scheduledCount() == 1);
        // The processor goes away before the time is up; its checkpoint is past the pending event.
        consumer.stop().block(WAIT);
        first.dispose();
        assertThat(status(id)).isEqualTo(LedgerTransactionState.Status.PENDING);

        LedgerTransactionExpiry second = new LedgerTransactionExpiry(pool, commands, Clock.systemUTC());
        second.start().block(WAIT);
        FeedConsumer successor = consumer(second).start();
        try {
            await().atMost(WAIT).until(() -> status(id) == LedgerTransactionState.Status.EXPIRED);
            assertThat(expiredEvent(id).at()).isEqualTo(expiresAt);
            assertThat(store.readStream(StreamId.of(id)).collectList().block(WAIT)).hasSize(2);
        } finally {
            successor.stop().block(WAIT);
            second.dispose();
        }
    }

    @Test
    void a_transaction_posted_before_its_time_is_not_expired_and_its_row_goes() {
        LedgerTransactionExpiry expiry = new LedgerTransactionExpiry(pool, commands, Clock.systemUTC());
        FeedConsumer consumer = consumer(expiry).start();
        try {
            String id = pending(Instant.now().plusSeconds(3_600), 300);
            await().atMost(WAIT).until(() -> rows() == 1);
            execute(new LedgerTransactionCommand.PostPending(id, null, Instant.now()));

            await().atMost(WAIT).until(() -> rows() == 0 && expiry.scheduledCount() == 0);
            assertThat(status(id)).isEqualTo(LedgerTransactionState.Status.POSTED);
            assertThat(balances.find(b).block(WAIT).postedMinor()).isEqualTo(301);
        } finally {
            consumer.stop().block(WAIT);
        }
    }

    private FeedConsumer consumer(LedgerTransactionExpiry expiry) {
        return new FeedConsumer("ledger-transaction-expiry-test", store, checkpoints, expiry, FEED);
    }

    private String account(long deposit) {
        Instant now = Instant.now();
        String account = Ids.newId("acc", now);
        assertThat(commands.execute(CommandRequest.of(AccountAggregate.INSTANCE, StreamId.of(account),
                        new OpenAccount(account, merchant, USD, 0, Map.of(), now), EventMetadata.of(merchant))
                .onNewStream()).block(WAIT)).isInstanceOf(CommandResult.Done.class);
        if (deposit > 0) {
            String id = Ids.newId("dep", now);
            assertThat(commands.execute(CommandRequest.of(DepositAggregate.INSTANCE, StreamId.of(id),
                            new PostDeposit(id, merchant, account, USD, Money.of(deposit, USD), now), EventMetadata.of(merchant))
                    .onNewStream()).block(WAIT)).isInstanceOf(CommandResult.Done.class);
        }
        return account;
    }

    private String pending(Instant expiresAt, long amount) {
        Instant now = Instant.now();
        String id = Ids.newId("ltx", now);
        var legs = List.of(new Leg(a, b, Money.of(amount, USD)), new Leg(a, b, Money.of(1, USD)));
        assertThat(commands.execute(CommandRequest.of(LedgerTransactionAggregate.INSTANCE, StreamId.of(id),
                        new PostLedgerTransaction(id, merchant, legs, Map.of(a, USD, b, USD), null, Map.of(), true, expiresAt,
                                now), EventMetadata.of(merchant))
                .onNewStream()).block(WAIT)).isInstanceOf(CommandResult.Done.class);
        // The second leg holds 1 more.
        return id;
    }

    private void execute(LedgerTransactionCommand command) {
        assertThat(commands.execute(CommandRequest.of(LedgerTransactionAggregate.INSTANCE,
                StreamId.of(command.transactionId()), command, EventMetadata.of(merchant))).block(WAIT))
                .isInstanceOf(CommandResult.Done.class);
    }

    private LedgerTransactionState.Status status(String id) {
        return ((LedgerTransactionState.LedgerTransaction) commands.load(LedgerTransactionAggregate.INSTANCE,
                StreamId.of(id)).block(WAIT).state()).status();
    }

    private LedgerTransactionExpired expiredEvent(String id) {
        RecordedEvent last = store.readStream(StreamId.of(id)).collectList().block(WAIT).getLast();
        return (LedgerTransactionExpired) LedgerTransactionAggregate.INSTANCE.codec().decode(last);
    }

    private long rows() {
        return reactor.core.publisher.Mono.usingWhen(pool.create(),
                c -> reactor.core.publisher.Mono.from(c.createStatement("select count(*) from ledger_transaction_expiries")
                        .execute()).flatMap(r -> reactor.core.publisher.Mono.from(r.map(row -> row.get(0, Long.class)))),
                io.r2dbc.spi.Connection::close).block(WAIT);
    }
}
