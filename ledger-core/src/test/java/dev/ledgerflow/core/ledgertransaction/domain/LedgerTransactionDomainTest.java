package dev.ledgerflow.core.ledgertransaction.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection.Reason;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.LedgerTransaction;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LedgerTransactionDomainTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");
    static final Map<String, CurrencyCode> CURRENCIES = Map.of("acc_a", USD, "acc_b", USD, "acc_c", USD,
            "acc_x", EUR, "acc_y", EUR);

    final DeciderSpec<LedgerTransactionCommand, LedgerTransactionState, LedgerTransactionEvent, LedgerTransactionRejection>
            spec = DeciderSpec.of(new LedgerTransactionDecider());

    static Leg leg(String from, String to, long amount, CurrencyCode currency) {
        return new Leg(from, to, Money.of(amount, currency));
    }

    static PostLedgerTransaction post(Leg... legs) {
        return new PostLedgerTransaction("ltx_1", "mer_1", List.of(legs), CURRENCIES, "split", Map.of("order", "42"), T0);
    }

    static List<Posting> postings(Leg... legs) {
        List<Posting> postings = new ArrayList<>();
        for (Leg leg : legs) {
            postings.add(new Posting(leg.fromAccountId(), leg.amount().currency(), -leg.amount().amountMinor(), 0));
            postings.add(new Posting(leg.toAccountId(), leg.amount().currency(), leg.amount().amountMinor(), 0));
        }
        return postings;
    }

    static LedgerTransactionPosted posted(Leg... legs) {
        return new LedgerTransactionPosted("ltx_1", "mer_1", List.of(legs), "split", Map.of("order", "42"), T0,
                postings(legs));
    }

    @Test
    void a_three_leg_transaction_posts_every_leg_in_one_event() {
        Leg[] legs = {leg("acc_a", "acc_b", 700, USD), leg("acc_a", "acc_c", 300, USD), leg("acc_b", "acc_c", 50, USD)};

        LedgerTransactionState state = spec.when(post(legs)).then(posted(legs));

        assertThat(state).isEqualTo(new LedgerTransaction("ltx_1", "mer_1", List.of(legs), "split", Map.of("order", "42"), T0));
        assertThat(posted(legs).type()).isEqualTo("ledger_transaction.posted");
        assertThat(posted(legs).postings()).hasSize(6).noneMatch(Posting::systemAccount);
    }

    @Test
    void legs_in_several_currencies_balance_each_currency_on_its_own() {
        Leg[] legs = {leg("acc_a", "acc_b", 700, USD), leg("acc_x", "acc_y", 90, EUR)};

        List<LedgerTransactionEvent> events = spec.when(post(legs)).events();

        assertThat(Postings.postedSumByCurrency(events.getFirst().postings())).containsOnly(
                Map.entry(EUR, 0L), Map.entry(USD, 0L));
    }

    @Test
    void sixty_four_legs_are_accepted() {
        Leg[] legs = IntStream.range(0, 64).mapToObj(i -> leg("acc_a", "acc_b", i + 1, USD)).toArray(Leg[]::new);

        assertThat(spec.when(post(legs)).events()).hasSize(1);
    }

    @Nested
    class Rejections_in_the_order_they_are_checked {

        @ParameterizedTest(name = "{0} legs")
        @ValueSource(ints = {0, 1, 65})
        void fewer_than_two_or_more_than_64_legs(int count) {
            Leg[] legs = IntStream.range(0, count).mapToObj(i -> leg("acc_a", "acc_b", 1, USD)).toArray(Leg[]::new);

            spec.when(post(legs)).thenRejected(LedgerTransactionRejection.of(Reason.LEGS_COUNT_INVALID));
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -5, 1_000_000_000_001L})
        void an_amount_out_of_range_names_its_leg(long amount) {
            spec.when(post(leg("acc_a", "acc_b", 1, USD), leg("acc_a", "acc_c", amount, USD)))
                    .thenRejected(LedgerTransactionRejection.atLeg(Reason.AMOUNT_INVALID, 1));
        }

        @Test
        void a_leg_from_an_account_to_itself() {
            spec.when(post(leg("acc_a", "acc_b", 1, USD), leg("acc_b", "acc_c", 1, USD), leg("acc_c", "acc_c", 1, USD)))
                    .thenRejected(LedgerTransactionRejection.atLeg(Reason.SAME_ACCOUNT, 2));
        }

        @Test
        void a_leg_between_currencies() {
            spec.when(post(leg("acc_a", "acc_b", 1, USD), leg("acc_a", "acc_x", 1, USD)))
                    .thenRejected(LedgerTransactionRejection.atLeg(Reason.CURRENCY_MISMATCH, 1));
        }

        @Test
        void a_leg_whose_amount_is_in_another_currency_than_its_accounts() {
            spec.when(post(leg("acc_a", "acc_b", 1, EUR), leg("acc_a", "acc_c", 1, USD)))
                    .thenRejected(LedgerTransactionRejection.atLeg(Reason.CURRENCY_MISMATCH, 0));
        }

        @Test
        void the_first_bad_leg_is_named_and_each_legs_checks_run_in_order() {
            spec.when(post(leg("acc_a", "acc_a", 0, USD), leg("acc_a", "acc_a", 1, USD)))
                    .thenRejected(LedgerTransactionRejection.atLeg(Reason.AMOUNT_INVALID, 0));
        }

        @Test
        void a_transaction_id_is_never_reused() {
            Leg[] legs = {leg("acc_a", "acc_b", 1, USD), leg("acc_b", "acc_c", 1, USD)};
            spec.given(posted(legs)).when(post(legs))
                    .thenRejected(LedgerTransactionRejection.of(Reason.LEDGER_TRANSACTION_EXISTS));
        }

        @Test
        void rejection_codes_and_retryability() {
            assertThat(LedgerTransactionRejection.atLeg(Reason.INSUFFICIENT_FUNDS, 3).code()).isEqualTo("insufficient_funds");
            assertThat(LedgerTransactionRejection.atLeg(Reason.INSUFFICIENT_FUNDS, 3).retryable()).isTrue();
            assertThat(LedgerTransactionRejection.of(Reason.LEGS_COUNT_INVALID).retryable()).isFalse();
            assertThat(LedgerTransactionRejection.of(Reason.LEGS_COUNT_INVALID).aboutLeg()).isFalse();
        }
    }

    @Test
    void an_insufficient_funds_answer_of_the_store_is_about_the_first_leg_debiting_the_account() {
        List<Leg> legs = List.of(leg("acc_a", "acc_b", 5, USD), leg("acc_c", "acc_b", 5, USD), leg("acc_c", "acc_a", 5, USD));

        assertThat(LedgerTransactionDecider.firstLegDebiting(legs, "acc_c")).isEqualTo(1);
        assertThat(LedgerTransactionDecider.firstLegDebiting(legs, "acc_b")).isEqualTo(LedgerTransactionRejection.NO_LEG);
    }

    @Test
    void a_posted_event_never_holds_unbalanced_postings_or_too_many_legs() {
        Leg one = leg("acc_a", "acc_b", 5, USD);
        assertThatThrownBy(() -> new LedgerTransactionPosted("ltx_1", "mer_1", List.of(one, one), null, Map.of(), T0,
                List.of(new Posting("acc_a", USD, -5, 0)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LedgerTransactionPosted("ltx_1", "mer_1", List.of(one), null, Map.of(), T0,
                postings(one))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_second_posted_event_on_one_stream_is_a_corrupt_stream() {
        Leg[] legs = {leg("acc_a", "acc_b", 1, USD), leg("acc_b", "acc_c", 1, USD)};
        var decider = new LedgerTransactionDecider();
        LedgerTransactionState once = decider.evolve(decider.initialState(), posted(legs));
        assertThatThrownBy(() -> decider.evolve(once, posted(legs))).isInstanceOf(IllegalStateException.class);
    }
}
