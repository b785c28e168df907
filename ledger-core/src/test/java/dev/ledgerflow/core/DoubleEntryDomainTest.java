package dev.ledgerflow.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.account.domain.AccountDecider;
import dev.ledgerflow.core.account.domain.AccountEvent.AccountOpened;
import dev.ledgerflow.core.account.domain.AccountState;
import dev.ledgerflow.core.account.domain.AccountState.Account;
import dev.ledgerflow.core.decider.Decider;
import dev.ledgerflow.core.decider.Decision;
import dev.ledgerflow.core.decider.Decision.Accepted;
import dev.ledgerflow.core.decider.Rejection;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.deposit.domain.DepositDecider;
import dev.ledgerflow.core.deposit.domain.DepositEvent.DepositPosted;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.CardBrand;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentCommand.AuthorizePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CancelPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CapturePayment;
import dev.ledgerflow.core.payment.domain.DisputeStatus;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CompleteRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreatePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.CreateRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailPayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.DisputePayment;
import dev.ledgerflow.core.payment.domain.PaymentCommand.FailRefund;
import dev.ledgerflow.core.payment.domain.PaymentCommand.ResolveDispute;
import dev.ledgerflow.core.payment.domain.PaymentDecider;
import dev.ledgerflow.core.payment.domain.PaymentEvent;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.payment.domain.PaymentSource.Card;
import dev.ledgerflow.core.payment.domain.PaymentSource.Upi;
import dev.ledgerflow.core.payment.domain.PaymentSource.Wallet;
import dev.ledgerflow.core.payment.domain.PaymentState;
import dev.ledgerflow.core.payment.domain.PaymentState.Payment;
import dev.ledgerflow.core.posting.domain.HasPostings;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.core.transfer.domain.TransferDecider;
import dev.ledgerflow.core.transfer.domain.TransferEvent.TransferPosted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Double entry across all deciders: every movement balances per currency, and folding the postings of
 * all events gives the balances the events' own amounts imply.
 */
class DoubleEntryDomainTest {

    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");

    @Test
    void a_worked_example_folds_into_the_expected_balances() {
        Ledger ledger = new Ledger(new Random(0));
        ledger.open("acc_a", "mer_1", USD, 0);
        ledger.open("acc_b", "mer_1", USD, 0);

        ledger.deposit("acc_a", 10_000);
        ledger.transfer("acc_a", "acc_b", Money.of(3_000, USD));
        ledger.pay("pay_w", new CreatePayment("pay_w", "mer_1", Money.of(2_000, USD), CaptureMethod.MANUAL,
                new Wallet("acc_b", USD), null, Map.of(), T0));
        assertThat(ledger.balances.available("acc_b")).isEqualTo(1_000);
        ledger.pay("pay_w", new AuthorizePayment("pay_w", T0));
        ledger.pay("pay_w", new CapturePayment("pay_w", OptionalLong.of(1_500), T0));
        ledger.pay("pay_w", new CreateRefund("pay_w", "re_1", OptionalLong.of(500), null, T0));
        ledger.pay("pay_w", new CompleteRefund("pay_w", "re_1", T0));
        ledger.pay("pay_c", new CreatePayment("pay_c", "mer_1", Money.of(4_000, USD), CaptureMethod.AUTOMATIC, card(),
                null, Map.of(), T0));
        ledger.pay("pay_c", new AuthorizePayment("pay_c", T0));

        assertThat(ledger.balances.postedByAccount()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "acc_a", 7_000L,
                "acc_b", 2_000L, // 3000 in, 1500 captured, 500 refunded
                "set_mer_1_USD", 5_000L, // 1500 - 500 + 4000
                "sys_card_clearing_USD", -4_000L,
                "sys_funding_USD", -10_000L));
        assertThat(ledger.balances.pending("acc_b")).isZero();
        assertThat(ledger.balances.postedSumByCurrency()).containsExactly(Map.entry(USD, 0L));
    }

    @Test
    void the_balance_guard_is_the_one_that_refuses_an_overdraft() {
        Ledger ledger = new Ledger(new Random(0));
        ledger.open("acc_a", "mer_1", USD, 500);
        ledger.open("acc_b", "mer_1", USD, 0);
        ledger.deposit("acc_a", 1_000);

        assertThat(ledger.transfer("acc_a", "acc_b", Money.of(1_501, USD))).isFalse();
        assertThat(ledger.transfer("acc_a", "acc_b", Money.of(1_500, USD))).isTrue();
        assertThat(ledger.balances.available("acc_a")).isZero();
        assertThat(ledger.pay("pay_1", new CreatePayment("pay_1", "mer_1", Money.of(1, USD), CaptureMethod.MANUAL,
                new Wallet("acc_a", USD), null, Map.of(), T0))).isFalse();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20_250_301})
    void random_valid_and_invalid_commands_keep_every_movement_balanced_and_the_fold_consistent(long seed) {
        Ledger ledger = new Ledger(new Random(seed));
        ledger.open("acc_1", "mer_1", USD, 0);
        ledger.open("acc_2", "mer_1", USD, 5_000);
        ledger.open("acc_3", "mer_1", EUR, 0);
        ledger.open("acc_4", "mer_2", USD, 0);
        ledger.open("acc_5", "mer_2", EUR, 1_000);

        for (int step = 0; step < 3_000; step++) {
            ledger.randomStep();
        }

        ledger.assertConsistent();
        assertThat(ledger.eventCounts).as("the walk exercises every movement").containsKeys("deposit.posted",
                "transfer.posted", "payment.created", "payment.requires_capture", "payment.succeeded",
                "payment.failed", "payment.canceled", "refund.created", "refund.succeeded", "refund.failed",
                "payment.disputed", "payment.dispute_won", "payment.dispute_lost");
        assertThat(ledger.guardRejections).as("the guard refused some overdrafts").isPositive();
        assertThat(ledger.alreadyDone).as("some outcomes repeated").isPositive();
    }

    static Card card() {
        return new Card(CardBrand.VISA, "4242", "fp_1", 12, 2030, "tok_sim_approve");
    }

    /**
     * The store's inline balance table with its guard, as far as postings go: a change may not take a
     * merchant account's available balance ({@code posted - pending + overdraft}) below zero.
     */
    static final class Balances {

        record Row(CurrencyCode currency, long overdraftLimitMinor, long postedMinor, long pendingMinor) {
            long availableMinor() {
                return postedMinor - pendingMinor + overdraftLimitMinor;
            }
        }

        private final Map<String, Row> rows = new TreeMap<>();

        void open(AccountOpened opened) {
            rows.put(opened.accountId(), new Row(opened.currency(), opened.overdraftLimitMinor(), 0, 0));
        }

        /** All postings of one append or none; false when the guard refuses. */
        boolean apply(List<Posting> postings) {
            Map<String, Row> changed = new HashMap<>();
            for (Posting posting : postings) {
                Row row = changed.getOrDefault(posting.accountId(), rows.get(posting.accountId()));
                if (row == null) {
                    assertThat(posting.systemAccount()).as("unknown account %s", posting.accountId()).isTrue();
                    row = new Row(posting.currency(), 0, 0, 0);
                }
                assertThat(posting.currency()).as("currency of %s", posting.accountId()).isEqualTo(row.currency());
                Row after = new Row(row.currency(), row.overdraftLimitMinor(),
                        Math.addExact(row.postedMinor(), posting.postedDeltaMinor()),
                        Math.addExact(row.pendingMinor(), posting.pendingDeltaMinor()));
                boolean lowersAvailable = posting.postedDeltaMinor() - posting.pendingDeltaMinor() < 0;
                if (!posting.systemAccount() && lowersAvailable && after.availableMinor() < 0) {
                    return false;
                }
                changed.put(posting.accountId(), after);
            }
            rows.putAll(changed);
            return true;
        }

        long available(String accountId) {
            return rows.get(accountId).availableMinor();
        }

        long pending(String accountId) {
            return rows.get(accountId).pendingMinor();
        }

        Map<String, Long> postedByAccount() {
            Map<String, Long> posted = new TreeMap<>();
            rows.forEach((id, row) -> posted.put(id, row.postedMinor()));
            return posted;
        }

        Map<CurrencyCode, Long> postedSumByCurrency() {
            Map<CurrencyCode, Long> sums = new TreeMap<>((a, b) -> a.code().compareTo(b.code()));
            rows.values().forEach(row -> sums.merge(row.currency(), row.postedMinor(), Math::addExact));
            return sums;
        }
    }

    /** The write side in miniature: load, decide, apply postings under the guard, append. */
    static final class Ledger {
        final Random random;
        final Balances balances = new Balances();
        final Map<String, Account> accounts = new LinkedHashMap<>();
        final Map<String, PaymentState> payments = new LinkedHashMap<>();
        final List<Object> log = new ArrayList<>();
        final Map<String, Integer> eventCounts = new TreeMap<>();
        final AccountDecider accountDecider = new AccountDecider();
        final DepositDecider depositDecider = new DepositDecider();
        final TransferDecider transferDecider = new TransferDecider();
        final PaymentDecider paymentDecider = new PaymentDecider();
        int guardRejections;
        int alreadyDone;
        int ids;
        int step;

        Ledger(Random random) {
            this.random = random;
        }

        void open(String accountId, String merchantId, CurrencyCode currency, long overdraftLimitMinor) {
            AccountState state = run(accountDecider, accountDecider.initialState(),
                    new OpenAccount(accountId, merchantId, currency, overdraftLimitMinor, Map.of(), at()));
            accounts.put(accountId, (Account) state);
        }

        boolean deposit(String accountId, long amountMinor) {
            Account account = accounts.get(accountId);
            return deposit(account, Money.of(amountMinor, account.currency()));
        }

        boolean deposit(Account account, Money amount) {
            var command = new PostDeposit("dep_" + ++ids, account.merchantId(), account.accountId(),
                    account.currency(), amount, at());
            return run(depositDecider, depositDecider.initialState(), command) != null;
        }

        boolean transfer(String from, String to, Money amount) {
            Account fromAccount = accounts.get(from);
            Account toAccount = accounts.get(to);
            var command = new PostTransfer("tr_" + ++ids, fromAccount.merchantId(), from, fromAccount.currency(), to,
                    toAccount.currency(), amount, null, at());
            return run(transferDecider, transferDecider.initialState(), command) != null;
        }

        boolean pay(String paymentId, PaymentCommand command) {
            PaymentState state = run(paymentDecider, payments.getOrDefault(paymentId, paymentDecider.initialState()),
                    command);
            if (state != null) {
                payments.put(paymentId, state);
            }
            return state != null;
        }

        /**
         * Decides, and when accepted applies the postings under the guard and folds the events; returns
         * the new state, or null when nothing was appended.
         */
        <C, S, E, R extends Rejection> S run(Decider<C, S, E, R> decider, S state, C command) {
            Decision<E, R> decision = decider.decide(command, state);
            if (!(decision instanceof Accepted<E, R> accepted)) {
                return null;
            }
            if (accepted.alreadyDone()) {
                alreadyDone++;
                return null;
            }
            List<Posting> postings = new ArrayList<>();
            for (E event : accepted.events()) {
                if (event instanceof HasPostings moving) {
                    assertThat(Postings.balanced(moving.postings())).as("%s balances", event).isTrue();
                    postings.addAll(moving.postings());
                }
            }
            if (!balances.apply(postings)) {
                guardRejections++; // the store answers insufficient_funds and appends nothing
                return null;
            }
            S next = state;
            for (E event : accepted.events()) {
                next = decider.evolve(next, event);
                if (event instanceof AccountOpened opened) {
                    balances.open(opened);
                }
                log.add(event);
                eventCounts.merge(typeOf(event), 1, Integer::sum);
            }
            return next;
        }

        void randomStep() {
            step++;
            switch (random.nextInt(15)) {
                case 0 -> {
                    Account account = anyAccount();
                    // Now and then in the wrong currency, to be refused.
                    CurrencyCode currency = random.nextInt(20) == 0 ? otherThan(account.currency()) : account.currency();
                    deposit(account, Money.of(amount(50_000), currency));
                }
                case 1 -> {
                    Account from = anyAccount();
                    Account to = anyAccountOf(from.merchantId());
                    transfer(from.accountId(), to.accountId(), Money.of(amount(20_000), from.currency()));
                }
                case 2, 3 -> createPayment();
                case 4, 5 -> onAnyPayment(id -> new AuthorizePayment(id, at()));
                case 6 -> onAnyPayment(id -> new FailPayment(id, anyOf(FailureCode.values()), at()));
                case 7 -> onAnyPayment(id -> new CapturePayment(id, maybeAmount(amountOf(id) + 100), at()));
                case 8 -> onAnyPayment(id -> new CancelPayment(id, at()));
                case 9, 10 -> onAnyPayment(id -> new CreateRefund(id, "re_" + ++ids, maybeAmount(amountOf(id)), null,
                        at()));
                case 11 -> onAnyPayment(id -> new DisputePayment(id, at()));
                case 12 -> onAnyDispute();
                default -> onAnyRefund();
            }
        }

        void createPayment() {
            String paymentId = "pay_" + ++ids;
            String merchantId = random.nextBoolean() ? "mer_1" : "mer_2";
            CaptureMethod method = anyOf(CaptureMethod.values());
            PaymentSource source;
            CurrencyCode currency;
            switch (random.nextInt(3)) {
                case 0 -> {
                    source = card();
                    currency = random.nextBoolean() ? USD : EUR;
                }
                case 1 -> {
                    source = new Upi("success@upi");
                    currency = random.nextBoolean() ? USD : EUR;
                }
                default -> {
                    Account wallet = anyAccountOf(merchantId);
                    source = new Wallet(wallet.accountId(), wallet.currency());
                    currency = random.nextInt(20) == 0 ? otherThan(wallet.currency()) : wallet.currency();
                }
            }
            pay(paymentId, new CreatePayment(paymentId, merchantId, Money.of(amount(10_000), currency), method, source,
                    null, Map.of(), at()));
        }

        void onAnyPayment(Function<String, PaymentCommand> command) {
            if (payments.isEmpty()) {
                return;
            }
            String paymentId = anyOf(payments.keySet().toArray(String[]::new));
            pay(paymentId, command.apply(paymentId));
        }

        /** Resolves a dispute, open or (now and then, to be refused or already done) resolved. */
        void onAnyDispute() {
            List<String> disputed = payments.values().stream().map(Payment.class::cast)
                    .filter(p -> p.dispute() != null).map(Payment::paymentId).toList();
            if (disputed.isEmpty()) {
                return;
            }
            String paymentId = disputed.get(random.nextInt(disputed.size()));
            pay(paymentId, new ResolveDispute(paymentId, random.nextBoolean() ? DisputeStatus.WON : DisputeStatus.LOST,
                    at()));
        }

        void onAnyRefund() {
            List<String[]> refunds = new ArrayList<>();
            payments.values().stream().map(Payment.class::cast).forEach(p -> p.refunds()
                    .forEach(r -> refunds.add(new String[] {p.paymentId(), r.refundId()})));
            if (refunds.isEmpty()) {
                return;
            }
            String[] pick = refunds.get(random.nextInt(refunds.size()));
            pay(pick[0], random.nextInt(4) == 0
                    ? new FailRefund(pick[0], pick[1], FailureCode.PROCESSING_ERROR, at())
                    : new CompleteRefund(pick[0], pick[1], at()));
        }

        /** Folds what the events say (their amounts, not their postings) and compares it with the postings' fold. */
        void assertConsistent() {
            Map<String, Long> expectedPosted = new TreeMap<>();
            Map<String, Long> expectedPending = new TreeMap<>();
            for (Object event : log) {
                if (event instanceof DepositPosted d) {
                    add(expectedPosted, d.accountId(), d.amount().amountMinor());
                    add(expectedPosted, Postings.fundingAccount(d.amount().currency()), -d.amount().amountMinor());
                } else if (event instanceof TransferPosted t) {
                    add(expectedPosted, t.fromAccountId(), -t.amount().amountMinor());
                    add(expectedPosted, t.toAccountId(), t.amount().amountMinor());
                }
            }
            for (PaymentState state : payments.values()) {
                Payment p = (Payment) state;
                CurrencyCode currency = p.amount().currency();
                long lostMinor = p.dispute() != null && p.dispute().status() == DisputeStatus.LOST
                        ? p.dispute().amount().amountMinor()
                        : 0;
                long netMinor = p.amountCapturedMinor() - p.amountRefundedMinor() - lostMinor;
                assertThat(p.amountCapturedMinor()).isLessThanOrEqualTo(p.amount().amountMinor());
                assertThat(p.amountRefundReservedMinor()).isBetween(0L, p.amountCapturedMinor());
                assertThat(p.refunds().stream().mapToLong(r -> r.amount().amountMinor()).sum())
                        .isGreaterThanOrEqualTo(p.amountRefundReservedMinor());
                add(expectedPosted, Postings.settlementAccount(p.merchantId(), currency), netMinor);
                add(expectedPosted, p.source().ledgerAccountId(currency), -netMinor);
                if (p.source() instanceof Wallet wallet) {
                    add(expectedPending, wallet.accountId(), p.amountHeldMinor());
                }
                // Pending refunds and an open dispute hold their amounts on the merchant's settlement account.
                long heldOnSettlementMinor = p.amountRefundReservedMinor() - p.amountRefundedMinor()
                        + (p.dispute() != null && p.dispute().status() == DisputeStatus.OPEN
                                ? p.dispute().amount().amountMinor()
                                : 0);
                add(expectedPending, Postings.settlementAccount(p.merchantId(), currency), heldOnSettlementMinor);
            }
            expectedPosted.values().removeIf(v -> v == 0);

            Map<String, Long> posted = balances.postedByAccount();
            posted.values().removeIf(v -> v == 0);
            assertThat(posted).isEqualTo(expectedPosted);
            balances.rows.forEach((id, row) -> {
                assertThat(row.pendingMinor()).as("pending of %s", id).isEqualTo(expectedPending.getOrDefault(id, 0L));
                if (!Postings.isSystemAccount(id)) {
                    assertThat(row.availableMinor()).as("available of %s", id).isNotNegative();
                }
            });
            assertThat(balances.postedSumByCurrency().values()).as("per currency, all accounts sum to zero")
                    .containsOnly(0L);
        }

        private static void add(Map<String, Long> balances, String accountId, long deltaMinor) {
            balances.merge(accountId, deltaMinor, Math::addExact);
        }

        private static String typeOf(Object event) {
            return switch (event) {
                case AccountOpened e -> e.type();
                case DepositPosted e -> e.type();
                case TransferPosted e -> e.type();
                case PaymentEvent e -> e.type();
                default -> throw new IllegalArgumentException(String.valueOf(event));
            };
        }

        private Instant at() {
            return T0.plusSeconds(step);
        }

        private long amount(long max) {
            return random.nextInt(25) == 0 ? 0 : 1 + random.nextLong(max); // now and then invalid
        }

        private OptionalLong maybeAmount(long max) {
            return random.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(amount(Math.max(1, max)));
        }

        private long amountOf(String paymentId) {
            return ((Payment) payments.get(paymentId)).amount().amountMinor();
        }

        private Account anyAccount() {
            return anyOf(accounts.values().toArray(Account[]::new));
        }

        private Account anyAccountOf(String merchantId) {
            return anyOf(accounts.values().stream().filter(a -> a.merchantId().equals(merchantId))
                    .toArray(Account[]::new));
        }

        private CurrencyCode otherThan(CurrencyCode currency) {
            return currency.equals(USD) ? EUR : USD;
        }

        private <T> T anyOf(T[] values) {
            return values[random.nextInt(values.length)];
        }
    }
}
