package dev.ledgerflow.core.ledgertransaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.account.AccountBalances;
import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresEventStore;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState;
import dev.ledgerflow.core.ledgertransaction.domain.Leg;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.transfer.TransferAggregate;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of commands (ledger transactions posted, pending, partly posted, voided and
 * reversed; deposits; transfers; wallet payments authorized or failed, captured in full or in part,
 * canceled, refunded, refunds completed or failed; over accounts in two currencies, some with
 * overdraft limits) against the real store keep every invariant after every step: a model that
 * applies exactly the postings of accepted commands equals the store's balances, no account's
 * available balance is ever negative nor its holds, every currency sums to zero, and a refused ledger
 * transaction left no event at all (all or nothing). A failure names its seed and prints the steps
 * that led to it, one line each, so the sequence reads (and replays, by its seed) as a story.
 *
 * <p>A seeded generator of our own rather than a property-testing library (README, "Test it", says
 * why). Each seed is a sequence; a failure names its seed and prints its last 25 steps (no automatic
 * shrinking), and the seed replays it exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LedgerTransactionInvariantsTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");
    static final int STEPS = 120;

    ConnectionPool pool;
    PostgresEventStore store;
    CommandExecutor commands;
    AccountBalances balances;

    @BeforeAll
    void setUp() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "invariants-test", 10);
        store = new PostgresEventStore(pool, PostgresConnections.direct(settings, "invariants-test-listen"),
                PostgresEventStore.Settings.defaults(), new SimpleMeterRegistry());
        commands = new CommandExecutor(store);
        balances = new AccountBalances(pool);
    }

    @AfterAll
    void tearDown() {
        store.close();
        pool.dispose();
    }

    /** What the model knows of one account. */
    static final class Model {
        final CurrencyCode currency;
        final long limit;
        long posted;
        long pending;

        Model(CurrencyCode currency, long limit) {
            this.currency = currency;
            this.limit = limit;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void random_command_sequences_keep_every_invariant(long seed) {
        Random random = new Random(seed);
        String merchant = Ids.newId("mer", Instant.now());
        Map<String, Model> accounts = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            CurrencyCode currency = i < 4 ? USD : EUR;
            long limit = random.nextInt(3) * 100L;
            String account = Ids.newId("acc", Instant.now());
            done(run(AccountAggregate.INSTANCE, account, true,
                    new OpenAccount(account, merchant, currency, limit, Map.of(), Instant.now()), merchant));
            accounts.put(account, new Model(currency, limit));
            ids.add(account);
            String deposit = Ids.newId("dep", Instant.now());
            var funded = run(DepositAggregate.INSTANCE, deposit, true, new PostDeposit(deposit, merchant, account, currency,
                    Money.of(1_000, currency), Instant.now()), merchant);
            done(funded);
            apply(accounts, funded);
        }
        List<String> transactions = new ArrayList<>();
        List<String> payments = new ArrayList<>();
        List<String[]> refunds = new ArrayList<>();
        List<String> story = new ArrayList<>();
        int[] outcomes = new int[2]; // accepted, refused
        for (int step = 0; step < STEPS; step++) {
            Instant now = Instant.now();
            int choice = random.nextInt(16);
            if (choice >= 10) {
                var result = paymentStep(choice, random, merchant, ids, accounts, payments, refunds, now);
                outcomes[result.getValue() instanceof CommandResult.Done<?, ?, ?> ? 0 : 1]++;
                apply(accounts, result.getValue());
                story.add(step + ": " + result.getKey() + " -> " + outcome(result.getValue()));
            } else if (choice == 0) {
                String account = ids.get(random.nextInt(ids.size()));
                Model model = accounts.get(account);
                String deposit = Ids.newId("dep", now);
                long amount = 1 + random.nextInt(800);
                var result = run(DepositAggregate.INSTANCE, deposit, true, new PostDeposit(deposit, merchant, account,
                        model.currency, Money.of(amount, model.currency), now), merchant);
                apply(accounts, result);
                story.add(step + ": deposit " + amount + " into " + name(ids, account) + " -> " + outcome(result));
            } else if (choice == 9) {
                String from = ids.get(random.nextInt(ids.size()));
                String to = ids.get(random.nextInt(ids.size()));
                Model source = accounts.get(from);
                long amount = 1 + random.nextInt(900);
                String transfer = Ids.newId("tr", now);
                var result = run(TransferAggregate.INSTANCE, transfer, true, new PostTransfer(transfer, merchant, from,
                        source.currency, to, accounts.get(to).currency, Money.of(amount, source.currency), null, now), merchant);
                outcomes[result instanceof CommandResult.Done<?, ?, ?> ? 0 : 1]++;
                apply(accounts, result);
                story.add(step + ": transfer " + amount + " " + name(ids, from) + " -> " + name(ids, to) + " -> "
                        + outcome(result));
            } else if (choice <= 5) {
                List<Leg> legs = new ArrayList<>();
                int count = 2 + random.nextInt(4);
                for (int l = 0; l < count; l++) {
                    String from = ids.get(random.nextInt(ids.size()));
                    List<String> peers = ids.stream()
                            .filter(other -> !other.equals(from) && accounts.get(other).currency.equals(accounts.get(from).currency))
                            .toList();
                    String to = peers.get(random.nextInt(peers.size()));
                    legs.add(new Leg(from, to, Money.of(1 + random.nextInt(400), accounts.get(from).currency)));
                }
                // Now and then a same-account or cross-currency leg: the whole transaction is refused.
                switch (random.nextInt(15)) {
                    case 0 -> legs.set(0, new Leg(legs.get(0).fromAccountId(), legs.get(0).fromAccountId(), legs.get(0).amount()));
                    case 1 -> legs.set(legs.size() - 1, new Leg(ids.get(0), ids.get(5), Money.of(1, USD)));
                    default -> { }
                }
                Map<String, CurrencyCode> currencies = new HashMap<>();
                accounts.forEach((id, model) -> currencies.put(id, model.currency));
                String id = Ids.newId("ltx", now);
                boolean pending = random.nextInt(3) == 0;
                var result = run(LedgerTransactionAggregate.INSTANCE, id, true, new PostLedgerTransaction(id, merchant, legs,
                        currencies, null, Map.of(), pending, null, now), merchant);
                if (result instanceof CommandResult.Done<?, ?, ?>) {
                    transactions.add(id);
                } else {
                    assertThat(store.readStream(StreamId.of(id)).collectList().block(WAIT))
                            .as("seed " + seed + ": a refused ledger transaction leaves no event").isEmpty();
                }
                outcomes[result instanceof CommandResult.Done<?, ?, ?> ? 0 : 1]++;
                apply(accounts, result);
                story.add(step + ": " + (pending ? "pending " : "") + "ledger transaction " + id + " "
                        + legs.stream().map(leg -> name(ids, leg.fromAccountId()) + "->" + name(ids, leg.toAccountId())
                                + " " + leg.amount().amountMinor()).toList() + " -> " + outcome(result));
            } else if (!transactions.isEmpty()) {
                String id = transactions.get(random.nextInt(transactions.size()));
                LedgerTransactionCommand command = switch (choice) {
                    case 6 -> new LedgerTransactionCommand.PostPending(id,
                            random.nextBoolean() ? null : (long) (1 + random.nextInt(600)), now);
                    case 7 -> new LedgerTransactionCommand.VoidPending(id, now);
                    default -> new LedgerTransactionCommand.ReverseLedgerTransaction(id, now);
                };
                var result = run(LedgerTransactionAggregate.INSTANCE, id, false, command, merchant);
                outcomes[result instanceof CommandResult.Done<?, ?, ?> ? 0 : 1]++;
                apply(accounts, result);
                story.add(step + ": " + command + " -> " + outcome(result));
            }
            List<String> recent = story.subList(Math.max(0, story.size() - 25), story.size());
            check("seed " + seed + " after the steps (accounts a0..a5; a4, a5 in EUR):\n  " + String.join("\n  ", recent)
                    + "\n", accounts);
        }
        assertThat(outcomes[0]).as("accepted commands of " + outcomes[0] + " + " + outcomes[1]).isGreaterThan(10);
        assertThat(outcomes[1]).as("refused commands (funds, state, currency)").isGreaterThan(10);
        // Every transaction ends in a state its events explain: pending ones still hold exactly their legs.
        for (String id : transactions) {
            var state = (LedgerTransactionState.LedgerTransaction) commands
                    .load(LedgerTransactionAggregate.INSTANCE, StreamId.of(id)).block(WAIT).state();
            if (state.status() == LedgerTransactionState.Status.PENDING) {
                assertThat(state.postedMinor()).allMatch(p -> p == 0);
            }
            for (int i = 0; i < state.legs().size(); i++) {
                assertThat(state.postedMinor().get(i)).isBetween(0L, state.legs().get(i).amount().amountMinor());
            }
        }
    }

    /** A wallet payment's step: create, the processor's outcome, capture or cancel, refund, the refund's outcome. */
    private Map.Entry<String, CommandResult<?, ?, ?>> paymentStep(int choice, Random random, String merchant,
            List<String> ids, Map<String, Model> accounts, List<String> payments, List<String[]> refunds, Instant now) {
        if (choice == 10 || payments.isEmpty()) {
            String account = ids.get(random.nextInt(ids.size()));
            CurrencyCode currency = accounts.get(account).currency;
            String id = Ids.newId("pay", now);
            long amount = 1 + random.nextInt(700);
            var result = run(PaymentAggregate.INSTANCE, id, true, new PaymentCommand.CreatePayment(id, merchant,
                    Money.of(amount, currency), random.nextBoolean() ? CaptureMethod.MANUAL : CaptureMethod.AUTOMATIC,
                    new PaymentSource.Wallet(account, currency), null, Map.of(), now), merchant);
            if (result instanceof CommandResult.Done<?, ?, ?>) {
                payments.add(id);
            }
            return Map.entry("wallet payment " + id + " of " + amount + " from " + name(ids, account), result);
        }
        String payment = payments.get(random.nextInt(payments.size()));
        PaymentCommand command = switch (choice) {
            case 11 -> random.nextInt(4) == 0
                    ? new PaymentCommand.FailPayment(payment, FailureCode.INSUFFICIENT_FUNDS, now)
                    : new PaymentCommand.AuthorizePayment(payment, now);
            case 12 -> switch (random.nextInt(3)) {
                case 0 -> new PaymentCommand.CancelPayment(payment, now);
                case 1 -> new PaymentCommand.CapturePayment(payment, OptionalLong.empty(), now);
                default -> new PaymentCommand.CapturePayment(payment, OptionalLong.of(1 + random.nextInt(500)), now);
            };
            case 13, 14 -> {
                String refund = Ids.newId("re", now);
                refunds.add(new String[] {payment, refund});
                yield new PaymentCommand.CreateRefund(payment, refund,
                        random.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(1 + random.nextInt(400)), null, now);
            }
            default -> {
                if (refunds.isEmpty()) {
                    yield new PaymentCommand.AuthorizePayment(payment, now);
                }
                String[] refund = refunds.get(random.nextInt(refunds.size()));
                payment = refund[0];
                yield random.nextInt(3) == 0
                        ? new PaymentCommand.FailRefund(refund[0], refund[1], FailureCode.PROCESSING_ERROR, now)
                        : new PaymentCommand.CompleteRefund(refund[0], refund[1], now);
            }
        };
        return Map.entry(command.toString(), run(PaymentAggregate.INSTANCE, payment, false, command, merchant));
    }

    /** An account as the story names it: a0 … a5, in the order they were opened. */
    private static String name(List<String> ids, String account) {
        int index = ids.indexOf(account);
        return index < 0 ? account : "a" + index;
    }

    private static String outcome(CommandResult<?, ?, ?> result) {
        return switch (result) {
            case CommandResult.Done<?, ?, ?> done -> "done";
            case CommandResult.AlreadyDone<?, ?, ?> done -> "already done";
            case CommandResult.Rejected<?, ?, ?> rejected -> "refused " + rejected.rejection();
            case CommandResult.StoreRejected<?, ?, ?> rejected -> "refused by the store " + rejected.rejection();
            default -> result.toString();
        };
    }

    private <C, S, E, R extends dev.ledgerflow.core.decider.Rejection> CommandResult<S, E, R> run(
            dev.ledgerflow.core.command.Aggregate<C, S, E, R> aggregate, String stream, boolean newStream, C command,
            String merchant) {
        var request = CommandRequest.of(aggregate, StreamId.of(stream), command, EventMetadata.of(merchant));
        return commands.execute(newStream ? request.onNewStream() : request).block(WAIT);
    }

    private static void done(CommandResult<?, ?, ?> result) {
        assertThat(result).isInstanceOf(CommandResult.Done.class);
    }

    /** The model takes exactly the postings of an accepted command; a rejected one changes nothing. */
    private static void apply(Map<String, Model> accounts, CommandResult<?, ?, ?> result) {
        if (!(result instanceof CommandResult.Done<?, ?, ?> done)) {
            return;
        }
        for (Object event : done.events()) {
            if (event instanceof dev.ledgerflow.core.posting.domain.HasPostings moving) {
                for (Posting posting : moving.postings()) {
                    Model model = accounts.get(posting.accountId());
                    if (model != null) {
                        model.posted += posting.postedDeltaMinor();
                        model.pending += posting.pendingDeltaMinor();
                    }
                }
            }
        }
    }

    private void check(String at, Map<String, Model> accounts) {
        Map<String, AccountBalances.BalanceRow> rows = new HashMap<>();
        balances.findAll(accounts.keySet()).doOnNext(row -> rows.put(row.accountId(), row)).blockLast(WAIT);
        accounts.forEach((id, model) -> {
            AccountBalances.BalanceRow row = rows.get(id);
            assertThat(row.postedMinor()).as(at + ": posted of " + id).isEqualTo(model.posted);
            assertThat(row.pendingMinor()).as(at + ": pending of " + id).isEqualTo(model.pending);
            assertThat(row.pendingMinor()).as(at + ": holds of " + id).isNotNegative();
            assertThat(row.availableMinor()).as(at + ": available of " + id).isNotNegative();
        });
        assertThat(balances.sumsPerCurrency().collectList().block(WAIT))
                .allSatisfy(sum -> assertThat(sum.postedMinor()).as(at + ": books of " + sum.currency()).isZero());
    }
}
