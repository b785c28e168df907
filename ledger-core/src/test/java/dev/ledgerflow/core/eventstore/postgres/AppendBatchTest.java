package dev.ledgerflow.core.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.eventstore.AccountOpening;
import dev.ledgerflow.core.eventstore.Append;
import dev.ledgerflow.core.eventstore.AppendResult;
import dev.ledgerflow.core.eventstore.AppendResult.Appended;
import dev.ledgerflow.core.eventstore.AppendResult.IdempotentReplay;
import dev.ledgerflow.core.eventstore.AppendResult.InsufficientFunds;
import dev.ledgerflow.core.eventstore.AppendResult.UnknownAccount;
import dev.ledgerflow.core.eventstore.AppendResult.VersionConflict;
import dev.ledgerflow.core.eventstore.BalanceChange;
import dev.ledgerflow.core.eventstore.ExpectedVersion;
import dev.ledgerflow.core.eventstore.IdempotencyRecord;
import dev.ledgerflow.core.eventstore.NewEvent;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * What one batch of group commit means, on a real PostgreSQL: every append is decided in batch
 * order as if it ran alone, against what the appends before it in the batch did.
 *
 * <p>{@link #inOneBatch} makes the batch deterministic: a gate append is held on a row lock while
 * the appends under test queue behind it, so they are written together, in the order given.
 */
class AppendBatchTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger ids = new AtomicInteger();
    private static final StreamId GATE = StreamId.of("gate");

    private final List<AutoCloseable> resources = new ArrayList<>();
    private PostgresSettings settings;
    private PostgresEventStore store;
    private AccountBalances balances;

    @BeforeEach
    void setUp() {
        settings = TestPostgres.freshDatabase();
        ConnectionPool pool = PostgresConnections.pooled(settings, "batch-test", 10);
        store = new PostgresEventStore(
                pool, PostgresConnections.direct(settings, "batch-test-listen"), PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        resources.add(store);
        resources.add(pool::dispose);
        balances = new AccountBalances(pool);
        assertThat(appendAlone(Append.events(GATE, ExpectedVersion.noStream(), List.of(event())))).isInstanceOf(Appended.class);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
    }

    @Nested
    class Streams {

        @Test
        void the_same_stream_twice_in_a_batch_appends_both_in_order_and_a_third_at_a_stale_version_conflicts() {
            StreamId stream = newStreamId();

            List<AppendResult> results = inOneBatch(
                    Append.events(stream, ExpectedVersion.noStream(), List.of(event(), event())),
                    Append.events(stream, ExpectedVersion.exactly(2), List.of(event())),
                    Append.events(stream, ExpectedVersion.noStream(), List.of(event())));

            assertThat(results.get(0)).isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(2));
            assertThat(results.get(1)).isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(3));
            assertThat(results.get(2)).isEqualTo(new VersionConflict(3));
            assertThat(readStream(stream)).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L, 3L);
        }

        @Test
        void positions_follow_batch_order_then_event_order() {
            StreamId a = newStreamId();
            StreamId b = newStreamId();
            NewEvent a1 = event();
            NewEvent a2 = event();
            NewEvent b1 = event();
            NewEvent a3 = event();

            List<AppendResult> results = inOneBatch(
                    Append.events(a, ExpectedVersion.noStream(), List.of(a1, a2)),
                    Append.events(b, ExpectedVersion.noStream(), List.of(b1)),
                    Append.events(a, ExpectedVersion.exactly(2), List.of(a3)));

            Appended first = (Appended) results.get(0);
            Appended second = (Appended) results.get(1);
            Appended third = (Appended) results.get(2);
            assertThat(List.of(first.firstPosition(), first.lastPosition(), second.firstPosition(), third.firstPosition()))
                    .isSorted()
                    .doesNotHaveDuplicates();
            assertThat(readStream(a)).extracting(RecordedEvent::eventId).containsExactly(a1.eventId(), a2.eventId(), a3.eventId());
            assertThat(readStream(a)).extracting(RecordedEvent::position)
                    .containsExactly(first.firstPosition(), first.lastPosition(), third.firstPosition());
        }

        @Test
        void an_append_repeated_in_the_same_batch_is_already_done_not_a_conflict() {
            Append once = Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()));

            List<AppendResult> results = inOneBatch(once, once);

            assertThat(results.get(0)).isInstanceOf(Appended.class);
            assertThat(results.get(1)).isEqualTo(results.get(0));
            assertThat(readStream(once.streamId())).hasSize(1);
        }
    }

    @Nested
    class Balances {

        @Test
        void debits_of_one_account_in_a_batch_see_each_other_and_a_credit_between_them() {
            String account = openAccount("USD", 0);
            appendAlone(credit(account, "USD", 100));

            List<AppendResult> results = inOneBatch(
                    debit(account, "USD", 40),
                    debit(account, "USD", 40),
                    debit(account, "USD", 40),
                    credit(account, "USD", 30),
                    debit(account, "USD", 40));

            assertThat(results).map(AppendResult::getClass).map(Class::getSimpleName)
                    .containsExactly("Appended", "Appended", "InsufficientFunds", "Appended", "Appended");
            assertThat(posted(account)).isEqualTo(10);
            assertThat(posted("sys_funding_USD")).isEqualTo(-10);
        }

        @Test
        void an_account_opened_earlier_in_the_batch_can_be_used_later_but_not_before() {
            String account = "acc_" + ids.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);

            List<AppendResult> results = inOneBatch(
                    credit(account, "EUR", 50),
                    opening(account, "EUR", 20),
                    credit(account, "EUR", 50),
                    debit(account, "EUR", 71),
                    debit(account, "EUR", 70));

            assertThat(results.get(0)).isEqualTo(new UnknownAccount(account));
            assertThat(results.get(1)).isInstanceOf(Appended.class);
            assertThat(results.get(2)).isInstanceOf(Appended.class);
            assertThat(results.get(3)).isEqualTo(new InsufficientFunds(account));
            assertThat(results.get(4)).isInstanceOf(Appended.class);
            AccountBalances.BalanceRow row = balances.find(account).block(TIMEOUT);
            assertThat(row.postedMinor()).isEqualTo(-20);
            assertThat(row.overdraftLimitMinor()).isEqualTo(20);
            assertThat(row.merchantId()).isEqualTo("mer_test");
        }

        @Test
        void a_rejected_command_changes_nothing_not_even_the_accounts_it_could_pay() {
            String payer = openAccount("USD", 0);
            String payee = openAccount("USD", 0);
            appendAlone(credit(payer, "USD", 10));
            StreamId stream = newStreamId();
            Append tooMuch = Append.events(stream, ExpectedVersion.noStream(), List.of(event()))
                    .withBalanceChanges(List.of(
                            BalanceChange.posted(payee, "USD", 11), BalanceChange.posted(payer, "USD", -11)));
            Append enough = Append.events(stream, ExpectedVersion.noStream(), List.of(event()))
                    .withBalanceChanges(List.of(
                            BalanceChange.posted(payee, "USD", 10), BalanceChange.posted(payer, "USD", -10)));

            List<AppendResult> results = inOneBatch(tooMuch, enough);

            assertThat(results.get(0)).isEqualTo(new InsufficientFunds(payer));
            assertThat(results.get(1)).isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(1));
            assertThat(posted(payer)).isZero();
            assertThat(posted(payee)).isEqualTo(10);
        }

        @Test
        void a_system_account_used_for_the_first_time_exists_before_it_is_used() {
            String account = openAccount("GBP", 0);

            List<AppendResult> results = inOneBatch(credit(account, "GBP", 5), credit(account, "GBP", 7));

            assertThat(results).allMatch(r -> r instanceof Appended);
            AccountBalances.BalanceRow funding = balances.find("sys_funding_GBP").block(TIMEOUT);
            assertThat(funding.postedMinor()).isEqualTo(-12);
            assertThat(funding.merchantId()).isNull();
        }

        @Test
        void each_account_gets_one_net_update_per_batch() throws SQLException {
            String a = openAccount("USD", 0);
            String b = openAccount("USD", 0);
            appendAlone(credit(a, "USD", 1_000));
            List<Append> transfers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                transfers.add(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()))
                        .withBalanceChanges(i % 2 == 0
                                ? List.of(BalanceChange.posted(a, "USD", -30), BalanceChange.posted(b, "USD", 30))
                                : List.of(BalanceChange.posted(b, "USD", -10), BalanceChange.posted(a, "USD", 10))));
            }

            // Called directly, in a transaction of the test's own, to count the row versions it wrote.
            try (Connection jdbc = jdbc()) {
                jdbc.setAutoCommit(false);
                try (var call = jdbc.prepareStatement("select outcome from ledger_append_batch(?::jsonb)")) {
                    call.setString(1, AppendBatchJson.encode(transfers));
                    try (ResultSet rows = call.executeQuery()) {
                        int ok = 0;
                        while (rows.next()) {
                            ok += "ok".equals(rows.getString(1)) ? 1 : 0;
                        }
                        assertThat(ok).isEqualTo(50);
                    }
                }
                try (Statement statement = jdbc.createStatement();
                        ResultSet updated = statement.executeQuery(
                                "select pg_stat_get_xact_tuples_updated('account_balances'::regclass)")) {
                    updated.next();
                    assertThat(updated.getLong(1)).as("row versions of account_balances written").isEqualTo(2);
                }
                jdbc.commit();
            }
            assertThat(posted(a)).isEqualTo(1_000 - 25 * 30 + 25 * 10);
            assertThat(posted(b)).isEqualTo(25 * 30 - 25 * 10);
        }
    }

    @Nested
    class Idempotency {

        @Test
        void the_same_key_twice_in_a_batch_writes_once_and_the_second_replays_the_first() {
            StreamId first = newStreamId();
            StreamId second = newStreamId();

            List<AppendResult> results = inOneBatch(
                    Append.events(first, ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-1", "fp-1", "{\"id\":\"pay_1\"}")),
                    Append.events(second, ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-1", "fp-2", "{\"id\":\"pay_2\"}")));

            Appended appended = (Appended) results.get(0);
            assertThat(results.get(1)).isEqualTo(new IdempotentReplay("fp-1", 201, "{\"id\":\"pay_1\"}", appended.lastPosition()));
            assertThat(readStream(second)).isEmpty();
            assertThat(store.idempotencyRecord("mer_test", "key-1").block(TIMEOUT))
                    .contains(new IdempotentReplay("fp-1", 201, "{\"id\":\"pay_1\"}", appended.lastPosition()));
        }

        @Test
        void a_key_whose_command_was_rejected_is_free_for_the_next_command_of_the_batch() {
            StreamId stream = newStreamId();

            List<AppendResult> results = inOneBatch(
                    Append.events(stream, ExpectedVersion.exactly(5), List.of(event()))
                            .withIdempotency(idempotency("key-2", "fp-1", "{}")),
                    Append.events(stream, ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-2", "fp-2", "{\"n\":2}")),
                    Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-2", "fp-3", "{\"n\":3}")));

            assertThat(results.get(0)).isEqualTo(new VersionConflict(0));
            Appended appended = (Appended) results.get(1);
            assertThat(results.get(2)).isEqualTo(new IdempotentReplay("fp-2", 201, "{\"n\":2}", appended.lastPosition()));
        }

        @Test
        void a_key_stored_by_an_earlier_batch_replays_without_writing() {
            Appended earlier = (Appended) appendAlone(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()))
                    .withIdempotency(idempotency("key-3", "fp-1", "{\"n\":1}")));
            StreamId stream = newStreamId();

            List<AppendResult> results = inOneBatch(
                    Append.events(stream, ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-3", "fp-2", "{\"n\":2}")),
                    Append.events(stream, ExpectedVersion.noStream(), List.of(event())));

            assertThat(results.get(0)).isEqualTo(new IdempotentReplay("fp-1", 201, "{\"n\":1}", earlier.lastPosition()));
            assertThat(results.get(1)).isInstanceOfSatisfying(Appended.class, a -> assertThat(a.streamVersion()).isEqualTo(1));
        }
    }

    @Nested
    class AnAppendTheDatabaseRefuses {

        @Test
        void fails_alone_and_every_other_append_of_its_batch_is_written() {
            String account = openAccount("USD", 0);
            StreamId first = newStreamId();
            StreamId refused = newStreamId();
            StreamId last = newStreamId();
            long splitsBefore = store.groupCommitStats().splits();
            // jsonb has no NUL character: PostgreSQL refuses the batch document that carries this payload.
            NewEvent unstorable = new NewEvent(UUID.randomUUID(), "thing.happened", "{\"text\":\"a\\u0000b\"}",
                    "{\"merchant\":\"mer_test\"}");

            List<CompletableFuture<AppendResult>> outcomes = submitInOneBatch(
                    Append.events(first, ExpectedVersion.noStream(), List.of(event()))
                            .withIdempotency(idempotency("key-before", "fp-1", "{\"n\":1}")),
                    Append.events(refused, ExpectedVersion.noStream(), List.of(event(), unstorable))
                            .withIdempotency(idempotency("key-refused", "fp-2", "{\"n\":2}")),
                    Append.events(last, ExpectedVersion.noStream(), List.of(event()))
                            .withBalanceChanges(List.of(
                                    BalanceChange.posted(account, "USD", 5),
                                    new BalanceChange("sys_funding_USD", "USD", -5, 0, true))));

            assertThat(outcomes.get(0).join()).isInstanceOf(Appended.class);
            assertThat(outcomes.get(1)).failsWithin(TIMEOUT).withThrowableThat()
                    .havingRootCause().isInstanceOf(io.r2dbc.spi.R2dbcException.class);
            assertThat(outcomes.get(2).join()).isInstanceOf(Appended.class);
            assertThat(store.groupCommitStats().splits() - splitsBefore).as("the batch was refused whole, then split").isEqualTo(1);
            assertThat(readStream(first)).hasSize(1);
            assertThat(readStream(last)).hasSize(1);
            assertThat(readStream(refused)).as("nothing of the refused append").isEmpty();
            assertThat(posted(account)).isEqualTo(5);
            assertThat(store.idempotencyRecord("mer_test", "key-before").block(TIMEOUT)).isPresent();
            assertThat(store.idempotencyRecord("mer_test", "key-refused").block(TIMEOUT)).isEmpty();
        }

        @Test
        void group_commit_keeps_writing_batches_afterwards() {
            NewEvent unstorable = new NewEvent(UUID.randomUUID(), "thing.happened", "{\"text\":\"\\u0000\"}", "{}");
            submitInOneBatch(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(unstorable)),
                            Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(unstorable)))
                    .forEach(outcome -> assertThat(outcome).failsWithin(TIMEOUT));

            List<AppendResult> results = inOneBatch(
                    Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event())),
                    Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event())));

            assertThat(results).allMatch(r -> r instanceof Appended);
        }
    }

    @Nested
    class TwoWriters {

        @Test
        void moving_money_both_ways_between_the_same_accounts_never_deadlocks() throws Exception {
            List<String> accounts = List.of(openAccount("USD", 0), openAccount("USD", 0), openAccount("USD", 0));
            for (String account : accounts) {
                appendAlone(credit(account, "USD", 1_000_000));
            }
            long deadlocksBefore = deadlocks();
            ConnectionPool otherPool = PostgresConnections.pooled(settings, "batch-test-other", 10);
            PostgresEventStore other = new PostgresEventStore(otherPool,
                    PostgresConnections.direct(settings, "batch-test-other-listen"), PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
            Random random = new Random(7);
            List<Append> transfers = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                int from = random.nextInt(3);
                int to = (from + 1 + random.nextInt(2)) % 3;
                transfers.add(Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()))
                        .withBalanceChanges(List.of(
                                BalanceChange.posted(accounts.get(from), "USD", -1),
                                BalanceChange.posted(accounts.get(to), "USD", 1))));
            }

            List<AppendResult> results;
            try {
                results = Flux.range(0, transfers.size())
                        .flatMap(i -> (i % 2 == 0 ? store : other).append(transfers.get(i)), 200)
                        .collectList()
                        .block(TIMEOUT);
            } finally {
                other.close();
                otherPool.dispose();
            }

            assertThat(results).hasSize(600).allMatch(r -> r instanceof Appended);
            assertThat(accounts.stream().mapToLong(AppendBatchTest.this::posted).sum()).isEqualTo(3_000_000);
            // The other writer's sessions report their statistics as they end: wait until they have.
            await().atMost(TIMEOUT).until(() -> sessionsOf("batch-test-other") == 0);
            assertThat(deadlocks()).isEqualTo(deadlocksBefore);
        }
    }

    /**
     * Submits the appends so that they make one batch, in this order: a gate append holds the only
     * batch in flight (its stream row is locked here) while they queue.
     */
    private List<AppendResult> inOneBatch(Append... appends) {
        long batchesBefore = store.groupCommitStats().batches();
        long appendsBefore = store.groupCommitStats().appends();
        List<AppendResult> results = submitInOneBatch(appends).stream().map(CompletableFuture::join).toList();
        assertThat(store.groupCommitStats().batches() - batchesBefore).as("batches: the gate's and one more").isEqualTo(2);
        assertThat(store.groupCommitStats().appends() - appendsBefore).isEqualTo(appends.length + 1);
        return results;
    }

    /** As {@link #inOneBatch}, answering each append's outcome to come, whether it succeeds or fails. */
    private List<CompletableFuture<AppendResult>> submitInOneBatch(Append... appends) {
        List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
        try (Connection jdbc = jdbc()) {
            jdbc.setAutoCommit(false);
            try (Statement statement = jdbc.createStatement()) {
                statement.execute("select 1 from streams where stream_id = '" + GATE.value() + "' for update");
            }
            CompletableFuture<AppendResult> gate =
                    store.append(Append.events(GATE, ExpectedVersion.any(), List.of(event()))).toFuture();
            for (Append append : appends) {
                pending.add(store.append(append).toFuture());
            }
            jdbc.commit();
            assertThat(gate.join()).isInstanceOf(Appended.class);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return pending;
    }

    private AppendResult appendAlone(Append append) {
        return store.append(append).block(TIMEOUT);
    }

    private List<RecordedEvent> readStream(StreamId stream) {
        return store.readStream(stream).collectList().block(TIMEOUT);
    }

    private long posted(String account) {
        return balances.find(account).block(TIMEOUT).postedMinor();
    }

    private Connection jdbc() throws SQLException {
        return DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password());
    }

    private long sessionsOf(String applicationName) throws SQLException {
        try (Connection jdbc = jdbc();
                var statement = jdbc.prepareStatement("select count(*) from pg_stat_activity where application_name = ?")) {
            statement.setString(1, applicationName);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private long deadlocks() throws SQLException {
        try (Connection jdbc = jdbc();
                Statement statement = jdbc.createStatement();
                ResultSet row = statement.executeQuery(
                        "select deadlocks from pg_stat_database where datname = current_database()")) {
            row.next();
            return row.getLong(1);
        }
    }

    private String openAccount(String currency, long overdraftLimitMinor) {
        String account = "acc_" + ids.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(appendAlone(opening(account, currency, overdraftLimitMinor))).isInstanceOf(Appended.class);
        return account;
    }

    private static Append opening(String account, String currency, long overdraftLimitMinor) {
        return Append.events(StreamId.of(account), ExpectedVersion.noStream(), List.of(event()))
                .withAccountOpenings(List.of(new AccountOpening(account, currency, "mer_test", overdraftLimitMinor)));
    }

    private static Append credit(String account, String currency, long amountMinor) {
        return Append.events(newStreamId(), ExpectedVersion.noStream(), List.of(event()))
                .withBalanceChanges(List.of(
                        BalanceChange.posted(account, currency, amountMinor),
                        new BalanceChange("sys_funding_" + currency, currency, -amountMinor, 0, true)));
    }

    private static Append debit(String account, String currency, long amountMinor) {
        return credit(account, currency, -amountMinor);
    }

    private static IdempotencyRecord idempotency(String key, String fingerprint, String body) {
        return new IdempotencyRecord("mer_test", key, fingerprint, 201, body, Duration.ofHours(24));
    }

    private static StreamId newStreamId() {
        return StreamId.of("s_" + ids.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static NewEvent event() {
        return new NewEvent(UUID.randomUUID(), "thing.happened", "{}", "{\"merchant\":\"mer_test\"}");
    }
}
