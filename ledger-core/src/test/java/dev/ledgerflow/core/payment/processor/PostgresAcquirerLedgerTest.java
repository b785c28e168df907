package dev.ledgerflow.core.payment.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.eventstore.postgres.PostgresConnections;
import dev.ledgerflow.core.eventstore.postgres.PostgresSettings;
import dev.ledgerflow.core.ids.Ids;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.payment.domain.FailureCode;
import dev.ledgerflow.core.payment.processor.AcquirerResponse.Approved;
import dev.ledgerflow.core.payment.processor.AcquirerResponse.Declined;
import dev.ledgerflow.core.payment.processor.AuthorizationRequest.Instrument;
import dev.ledgerflow.testing.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The acquirer's ledger in PostgreSQL: acquirers of several instances, and one started after a crash,
 * share it, so each request key is answered once and charged at most once, however it is repeated.
 */
class PostgresAcquirerLedgerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static ConnectionPool pool;

    @BeforeAll
    static void database() {
        PostgresSettings settings = TestPostgres.freshDatabase();
        pool = PostgresConnections.pooled(settings, "acquirer-ledger-test", 12);
    }

    @AfterAll
    static void close() {
        pool.dispose();
    }

    @Test
    void three_instances_asked_concurrently_for_the_same_payments_charge_each_payment_once() {
        List<SimulatedAcquirer> instances = IntStream.range(0, 3)
                .mapToObj(n -> new SimulatedAcquirer(Duration.ofMillis(1), new PostgresAcquirerLedger(pool)))
                .toList();
        List<String> payments = IntStream.range(0, 40).mapToObj(n -> Ids.newId("pay", Instant.now())).toList();

        List<AcquirerResponse> answers = Flux.fromIterable(payments)
                .flatMap(payment -> Flux.range(0, 6).map(n -> instances.get(n % 3)).flatMap(acquirer ->
                        acquirer.authorize(card(acquirer, payment, "4242424242424242"))), 64)
                .collectList().block(WAIT);

        assertThat(answers).hasSize(240).allMatch(Approved.class::isInstance);
        assertThat(instances.stream().mapToLong(SimulatedAcquirer::charges).sum()).isEqualTo(40);
        assertThat(instances.stream().mapToLong(SimulatedAcquirer::calls).sum()).isEqualTo(240);
        assertThat(count("select count(*) from acquirer_charges where outcome = 'approved' and payment_id = any($1)",
                payments.toArray(String[]::new))).isEqualTo(40);
    }

    @Test
    void answers_asked_at_once_are_recorded_in_few_statements_each_key_first_once_and_answered_alike() {
        PostgresAcquirerLedger ledger = new PostgresAcquirerLedger(pool);
        List<AuthorizationRequest> requests = IntStream.range(0, 50)
                .mapToObj(n -> new AuthorizationRequest(Ids.newId("pay", Instant.now()), Money.of(100 + n, "EUR"),
                        new Instrument.UpiHandle("batch@upi")))
                .toList();

        // Each key asked four times at once, alternately approved and declined (repeats racing their original).
        List<AcquirerLedger.Recorded> recorded = Flux.range(0, 200)
                .flatMap(n -> ledger.recordOnce(requests.get(n % 50), n % 2 == 0
                        ? new Approved() : new Declined(FailureCode.CARD_DECLINED)).map(r -> Map.entry(n % 50, r)), 256)
                .collectMultimap(Map.Entry::getKey, Map.Entry::getValue)
                .block(WAIT)
                .values().stream().flatMap(answers -> {
                    assertThat(answers).hasSize(4);
                    assertThat(answers).filteredOn(AcquirerLedger.Recorded::first).hasSize(1);
                    assertThat(answers.stream().map(AcquirerLedger.Recorded::answer).distinct()).hasSize(1);
                    return answers.stream();
                })
                .toList();

        assertThat(recorded).hasSize(200);
        String[] payments = requests.stream().map(AuthorizationRequest::paymentId).toArray(String[]::new);
        assertThat(count("select count(*) from acquirer_charges where payment_id = any($1)", payments)).isEqualTo(50);
        assertThat(count("select count(distinct created_at) from acquirer_charges where payment_id = any($1)", payments))
                .as("statements (one transaction time each) for 50 keys asked at once")
                .isLessThan(50);
    }

    @Test
    void an_acquirer_started_after_a_crash_answers_the_first_answer_and_charges_nothing() {
        SimulatedAcquirer before = new SimulatedAcquirer(Duration.ofMillis(1), new PostgresAcquirerLedger(pool));
        String approved = Ids.newId("pay", Instant.now());
        String declined = Ids.newId("pay", Instant.now());
        before.authorize(card(before, approved, "4242424242424242")).block(WAIT);
        before.authorize(card(before, declined, "4000000000009995")).block(WAIT);

        SimulatedAcquirer after = new SimulatedAcquirer(Duration.ofMillis(1), new PostgresAcquirerLedger(pool));

        assertThat(after.authorize(card(after, approved, "4242424242424242")).block(WAIT)).isEqualTo(new Approved());
        assertThat(after.authorize(card(after, declined, "4000000000009995")).block(WAIT))
                .isEqualTo(new Declined(FailureCode.INSUFFICIENT_FUNDS));
        assertThat(after.charges()).isZero();
        assertThat(before.charges()).isEqualTo(1);
    }

    @Test
    void the_first_answer_stands_even_when_a_repeat_would_decide_otherwise() {
        // The same key asked with another instrument (a confused client): the acquirer keeps its first answer.
        PostgresAcquirerLedger ledger = new PostgresAcquirerLedger(pool);
        AuthorizationRequest request = new AuthorizationRequest(Ids.newId("pay", Instant.now()), Money.of(700, "EUR"),
                new Instrument.UpiHandle("failure@upi"));

        var first = ledger.recordOnce(request, new Declined(FailureCode.CARD_DECLINED)).block(WAIT);
        var second = ledger.recordOnce(request, new Approved()).block(WAIT);

        assertThat(first.first()).isTrue();
        assertThat(second.first()).isFalse();
        assertThat(second.answer()).isEqualTo(new Declined(FailureCode.CARD_DECLINED));
    }

    @Test
    void a_void_releases_an_approval_refuses_a_late_one_and_leaves_a_decline() {
        PostgresAcquirerLedger ledger = new PostgresAcquirerLedger(pool);
        AuthorizationRequest approved = new AuthorizationRequest(Ids.newId("pay", Instant.now()), Money.of(900, "USD"),
                new Instrument.UpiHandle("success@upi"));
        AuthorizationRequest late = new AuthorizationRequest(Ids.newId("pay", Instant.now()), Money.of(900, "USD"),
                new Instrument.UpiHandle("success@upi"));
        AuthorizationRequest declined = new AuthorizationRequest(Ids.newId("pay", Instant.now()), Money.of(900, "USD"),
                new Instrument.UpiHandle("failure@upi"));
        ledger.recordOnce(approved, new Approved()).block(WAIT);
        ledger.recordOnce(declined, new Declined(FailureCode.CARD_DECLINED)).block(WAIT);

        assertThat(ledger.voidOnce(approved).block(WAIT)).as("an approval voided").isTrue();
        assertThat(ledger.voidOnce(approved).block(WAIT)).as("once").isFalse();
        assertThat(ledger.voidOnce(late).block(WAIT)).as("nothing to void yet").isFalse();
        assertThat(ledger.voidOnce(declined).block(WAIT)).as("a decline has nothing reserved").isFalse();

        var lateAnswer = ledger.recordOnce(late, new Approved()).block(WAIT);
        assertThat(lateAnswer.first()).isFalse();
        assertThat(lateAnswer.answer()).isEqualTo(new AcquirerResponse.Voided());
        assertThat(ledger.recordOnce(approved, new Approved()).block(WAIT).answer()).isEqualTo(new AcquirerResponse.Voided());
        assertThat(ledger.recordOnce(declined, new Approved()).block(WAIT).answer())
                .isEqualTo(new Declined(FailureCode.CARD_DECLINED));
        assertThat(count("select count(*) from acquirer_charges where outcome = 'approved' and payment_id = any($1)",
                new String[] {approved.paymentId(), late.paymentId(), declined.paymentId()})).isZero();
    }

    private static AuthorizationRequest card(SimulatedAcquirer acquirer, String payment, String number) {
        return new AuthorizationRequest(payment, Money.of(1_000, "USD"), new Instrument.CardToken(acquirer.tokenize(number)));
    }

    private static long count(String sql, Object parameter) {
        return Mono.usingWhen(pool.create(),
                c -> Mono.from(c.createStatement(sql).bind("$1", parameter).execute())
                        .flatMap(result -> Mono.from(result.map(row -> row.get(0, Long.class)))),
                c -> c.close()).block(WAIT);
    }
}
