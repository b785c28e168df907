package dev.ledgerflow.projections.testing;

import dev.ledgerflow.core.account.AccountAggregate;
import dev.ledgerflow.core.balancemonitor.BalanceMonitorAggregate;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.AccountFacts;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.CreateBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.Condition;
import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.codec.EventMetadata;
import dev.ledgerflow.core.command.CommandExecutor;
import dev.ledgerflow.core.command.CommandRequest;
import dev.ledgerflow.core.command.CommandResult;
import dev.ledgerflow.core.deposit.DepositAggregate;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.eventstore.StreamId;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.PaymentAggregate;
import dev.ledgerflow.core.payment.domain.CaptureMethod;
import dev.ledgerflow.core.payment.domain.CardBrand;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.domain.PaymentCommand;
import dev.ledgerflow.core.payment.domain.PaymentSource;
import dev.ledgerflow.core.transfer.TransferAggregate;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import reactor.core.publisher.Mono;

/**
 * A random merchant workload through the real command shell: accounts, deposits, transfers, card and
 * wallet payments with every processor outcome, captures, cancels and refunds. Rejections (not enough
 * money, a capture of a failed payment) are part of the mix and simply write nothing.
 */
public final class RandomWorkload {

    private static final List<CurrencyCode> CURRENCIES = List.of(CurrencyCode.of("USD"), CurrencyCode.of("EUR"));

    private final CommandExecutor commands;
    private final Random random;
    private final String merchant;
    private final List<Account> accounts = new ArrayList<>();
    private final List<String> payments = new ArrayList<>();
    private final List<String[]> refunds = new ArrayList<>();

    private record Account(String id, CurrencyCode currency) {}

    public RandomWorkload(CommandExecutor commands, long seed) {
        this(commands, seed, Ids.newId("mer", Instant.now()));
    }

    public RandomWorkload(CommandExecutor commands, long seed, String merchant) {
        this.commands = commands;
        this.random = new Random(seed);
        this.merchant = merchant;
    }

    public String merchant() {
        return merchant;
    }

    /** Runs {@code steps} random commands, one after the other. */
    public void run(int steps) {
        for (int i = 0; i < steps; i++) {
            step().block(TestLedger.WAIT);
        }
    }

    /** One random command; completes when it was appended or rejected. */
    public Mono<Void> step() {
        if (accounts.size() < 3) {
            return openAccount();
        }
        return switch (random.nextInt(12)) {
            case 0 -> openAccount();
            case 1, 2 -> deposit();
            case 3, 4 -> transfer();
            case 5, 6 -> createPayment();
            case 7, 8 -> processorOutcome();
            case 9 -> captureOrCancel();
            case 10 -> createRefund();
            default -> refundOutcome();
        };
    }

    private Mono<Void> openAccount() {
        Instant now = Instant.now();
        Account account = new Account(Ids.newId("acc", now), CURRENCIES.get(random.nextInt(CURRENCIES.size())));
        accounts.add(account);
        long overdraftLimit = random.nextInt(3) * 1_000L;
        return run(AccountAggregate.INSTANCE, account.id(), true, new OpenAccount(account.id(), merchant, account.currency(),
                overdraftLimit, Map.of("n", Integer.toString(accounts.size())), now))
                .then(Mono.defer(() -> watch(account, overdraftLimit)));
    }

    /** Every account gets a balance monitor (below 1,000 available, re-armed at 1,500): the monitors projection has rows. */
    private Mono<Void> watch(Account account, long overdraftLimit) {
        Instant now = Instant.now();
        String id = Ids.newId("bm", now);
        return run(BalanceMonitorAggregate.INSTANCE, id, true, new CreateBalanceMonitor(id, merchant, account.id(),
                new AccountFacts(account.id(), merchant, account.currency(), overdraftLimit),
                new Condition(Condition.Field.AVAILABLE, Condition.Operator.BELOW, 1_000, 500), null, now));
    }

    private Mono<Void> deposit() {
        Account account = anyAccount();
        Instant now = Instant.now();
        String id = Ids.newId("dep", now);
        return run(DepositAggregate.INSTANCE, id, true,
                new PostDeposit(id, merchant, account.id(), account.currency(), money(5_000, account.currency()), now));
    }

    private Mono<Void> transfer() {
        Account from = anyAccount();
        Account to = anyAccount();
        if (from.equals(to)) {
            return deposit();
        }
        Instant now = Instant.now();
        String id = Ids.newId("tr", now);
        return run(TransferAggregate.INSTANCE, id, true, new PostTransfer(id, merchant, from.id(), from.currency(), to.id(),
                to.currency(), money(3_000, from.currency()), random.nextBoolean() ? "rent" : null, now));
    }

    private Mono<Void> createPayment() {
        Instant now = Instant.now();
        String id = Ids.newId("pay", now);
        CaptureMethod capture = random.nextBoolean() ? CaptureMethod.MANUAL : CaptureMethod.AUTOMATIC;
        PaymentSource source;
        CurrencyCode currency;
        if (random.nextBoolean()) {
            Account account = anyAccount();
            source = new PaymentSource.Wallet(account.id(), account.currency());
            currency = account.currency();
        } else {
            source = new PaymentSource.Card(CardBrand.VISA, "4242", "fp_test", 12, 2030, "tok_test");
            currency = CURRENCIES.get(random.nextInt(CURRENCIES.size()));
        }
        payments.add(id);
        return run(PaymentAggregate.INSTANCE, id, true, new PaymentCommand.CreatePayment(id, merchant,
                money(4_000, currency), capture, source, "order " + random.nextInt(1000), Map.of(), now));
    }

    private Mono<Void> processorOutcome() {
        String payment = anyPayment();
        if (payment == null) {
            return createPayment();
        }
        Instant now = Instant.now();
        PaymentCommand command = random.nextInt(4) == 0
                ? new PaymentCommand.FailPayment(payment, FailureCode.CARD_DECLINED, now)
                : new PaymentCommand.AuthorizePayment(payment, now);
        return run(PaymentAggregate.INSTANCE, payment, false, command);
    }

    private Mono<Void> captureOrCancel() {
        String payment = anyPayment();
        if (payment == null) {
            return createPayment();
        }
        Instant now = Instant.now();
        PaymentCommand command = switch (random.nextInt(3)) {
            case 0 -> new PaymentCommand.CancelPayment(payment, now);
            case 1 -> new PaymentCommand.CapturePayment(payment, OptionalLong.empty(), now);
            default -> new PaymentCommand.CapturePayment(payment, OptionalLong.of(1 + random.nextInt(2_000)), now);
        };
        return run(PaymentAggregate.INSTANCE, payment, false, command);
    }

    private Mono<Void> createRefund() {
        String payment = anyPayment();
        if (payment == null) {
            return createPayment();
        }
        Instant now = Instant.now();
        String refund = Ids.newId("re", now);
        refunds.add(new String[] {payment, refund});
        OptionalLong amount = random.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(1 + random.nextInt(1_500));
        return run(PaymentAggregate.INSTANCE, payment, false,
                new PaymentCommand.CreateRefund(payment, refund, amount, random.nextBoolean() ? "duplicate" : null, now));
    }

    private Mono<Void> refundOutcome() {
        if (refunds.isEmpty()) {
            return createRefund();
        }
        String[] refund = refunds.get(random.nextInt(refunds.size()));
        Instant now = Instant.now();
        PaymentCommand command = random.nextInt(4) == 0
                ? new PaymentCommand.FailRefund(refund[0], refund[1], FailureCode.PROCESSING_ERROR, now)
                : new PaymentCommand.CompleteRefund(refund[0], refund[1], now);
        return run(PaymentAggregate.INSTANCE, refund[0], false, command);
    }

    private Account anyAccount() {
        return accounts.get(random.nextInt(accounts.size()));
    }

    private String anyPayment() {
        return payments.isEmpty() ? null : payments.get(random.nextInt(payments.size()));
    }

    private Money money(int max, CurrencyCode currency) {
        return Money.of(1 + random.nextInt(max), currency);
    }

    private <C, S, E, R extends dev.ledgerflow.core.decider.Rejection> Mono<Void> run(
            dev.ledgerflow.core.command.Aggregate<C, S, E, R> aggregate, String stream, boolean newStream, C command) {
        var request = CommandRequest.of(aggregate, StreamId.of(stream), command, EventMetadata.of(merchant));
        return commands.execute(newStream ? request.onNewStream() : request)
                .doOnNext(result -> {
                    if (result instanceof CommandResult.NotFound<?, ?, ?>) {
                        throw new IllegalStateException("workload lost its stream " + stream);
                    }
                })
                .then();
    }
}
