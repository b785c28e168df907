package dev.ledgerflow.core.balancemonitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.AccountFacts;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.CreateBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorTriggered;
import dev.ledgerflow.core.balancemonitor.domain.Condition;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.eventstore.LogPosition;
import dev.ledgerflow.core.eventstore.RecordedEvent;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.transfer.TransferAggregate;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The evaluator over a real log: a monitor fires once per crossing, re-arms past its band, and a batch
 * handed over again (after a crash before or after the evaluator saved its rows, split differently)
 * appends nothing more.
 */
class BalanceMonitorEvaluatorTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final CurrencyCode USD = CurrencyCode.of("USD");

    final String merchant = Ids.newId("mer", Instant.now());
    ConnectionPool pool;
    PostgresEventStore store;
    CommandExecutor commands;
    BalanceMonitorEvaluator evaluator;
    String a;
    String b;
    String monitor;

    @BeforeEach
    void setUp() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "monitor-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "monitor-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        commands = new CommandExecutor(store);
        evaluator = new BalanceMonitorEvaluator(pool, commands);
        a = account(5_000);
        b = account(0);
        monitor = Ids.newId("bm", Instant.now());
        run(BalanceMonitorAggregate.INSTANCE, monitor, new CreateBalanceMonitor(monitor, merchant, a,
                new AccountFacts(a, merchant, USD, 0),
                new Condition(Condition.Field.AVAILABLE, Condition.Operator.BELOW, 1_000, 200), null, Instant.now()));
        transfer(a, b, 4_100); // 900: fires
        transfer(a, b, 100); // 800: still below
        transfer(b, a, 450); // 1,250: re-arms
        transfer(a, b, 300); // 950: fires again
    }

    @AfterEach
    void tearDown() {
        store.close();
        pool.dispose();
    }

    @Test
    void the_monitor_fires_per_crossing_and_rearms_past_the_band() {
        evaluator.handle(log()).block(WAIT);
        assertThat(types()).containsExactly("balance_monitor.created", "balance_monitor.triggered",
                "balance_monitor.rearmed", "balance_monitor.triggered");
        RecordedEvent second = store.readStream(StreamId.of(monitor)).collectList().block(WAIT).getLast();
        var fired = (BalanceMonitorTriggered) BalanceMonitorAggregate.INSTANCE.codec().decode(second);
        assertThat(fired.balanceMinor()).isEqualTo(950);
        assertThat(fired.cause().position()).isEqualTo(log().getLast().position());
    }

    @Test
    void a_batch_handed_over_again_after_the_rows_were_saved_appends_nothing() {
        List<RecordedEvent> log = log();
        evaluator.handle(log).block(WAIT);
        evaluator.handle(log).block(WAIT);
        assertThat(types()).hasSize(4);
    }

    @Test
    void a_batch_handed_over_again_after_a_crash_before_the_save_appends_nothing() {
        List<RecordedEvent> log = log();
        evaluator.handle(log).block(WAIT);
        execute("truncate balance_monitor_balances, balance_monitor_watches"); // the save never happened
        evaluator.handle(log).block(WAIT);
        assertThat(types()).hasSize(4);
    }

    @Test
    void split_differently_on_the_second_run_it_appends_nothing_either() {
        List<RecordedEvent> log = log();
        evaluator.handle(log.subList(0, log.size() - 2)).block(WAIT);
        assertThat(types()).hasSize(2); // created, triggered
        evaluator.handle(log.subList(0, log.size() - 1)).block(WAIT);
        evaluator.handle(log.subList(log.size() - 3, log.size())).block(WAIT);
        evaluator.handle(log).block(WAIT);
        assertThat(types()).containsExactly("balance_monitor.created", "balance_monitor.triggered",
                "balance_monitor.rearmed", "balance_monitor.triggered");
    }

    @Test
    void the_evaluators_balances_end_equal_to_the_inline_balances() {
        evaluator.handle(log()).block(WAIT);
        assertThat(evaluator.foldedThrough(a).block(WAIT)).isEqualTo(log().getLast().logPosition());
        assertThat(evaluator.foldedThrough("acc_unknown").block(WAIT)).isEqualTo(LogPosition.START);
        assertThat(query("select posted from balance_monitor_balances where account_id = '" + a + "'")).isEqualTo(950L);
        assertThat(query("select posted from balance_monitor_balances where account_id = '" + b + "'")).isEqualTo(4_050L);
    }

    private List<RecordedEvent> log() {
        return store.readLog(LogPosition.START, 1_000).filter(e -> !e.type().startsWith("balance_monitor.")
                        || e.type().equals("balance_monitor.created"))
                .collectList().block(WAIT);
    }

    private List<String> types() {
        return store.readStream(StreamId.of(monitor)).map(RecordedEvent::type).collectList().block(WAIT);
    }

    private String account(long deposit) {
        Instant now = Instant.now();
        String account = Ids.newId("acc", now);
        run(AccountAggregate.INSTANCE, account, new OpenAccount(account, merchant, USD, 0, Map.of(), now));
        if (deposit > 0) {
            String id = Ids.newId("dep", now);
            run(DepositAggregate.INSTANCE, id, new PostDeposit(id, merchant, account, USD, Money.of(deposit, USD), now));
        }
        return account;
    }

    private void transfer(String from, String to, long amount) {
        Instant now = Instant.now();
        String id = Ids.newId("tr", now);
        run(TransferAggregate.INSTANCE, id, new PostTransfer(id, merchant, from, USD, to, USD, Money.of(amount, USD), null, now));
    }

    private <C, S, E, R extends dev.ledgerflow.core.decider.Rejection> void run(
            dev.ledgerflow.core.command.Aggregate<C, S, E, R> aggregate, String id, C command) {
        assertThat(commands.execute(CommandRequest.of(aggregate, StreamId.of(id), command, EventMetadata.of(merchant))
                .onNewStream()).block(WAIT)).isInstanceOf(CommandResult.Done.class);
    }

    private void execute(String sql) {
        Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement(sql).execute())
                .flatMap(r -> Mono.from(r.getRowsUpdated())), Connection::close).block(WAIT);
    }

    private Long query(String sql) {
        return Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement(sql).execute())
                .flatMap(r -> Mono.from(r.map(row -> row.get(0, Long.class)))), Connection::close).block(WAIT);
    }
}
