package dev.ledgerflow.core.ledgertransaction.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionCommand.PostLedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionEvent.LedgerTransactionPosted;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionRejection.Reason;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.LedgerTransaction;
import dev.ledgerflow.core.ledgertransaction.domain.LedgerTransactionState.Status;
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
        return PostLedgerTransaction.posted("ltx_1", "mer_1", List.of(legs), CURRENCIES, "split", Map.of("order", "42"), T0);
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
        return LedgerTransactionPosted.inFull("ltx_1", "mer_1", List.of(legs), "split", Map.of("order", "42"), T0,
                postings(legs));
    }

    @Test
    void a_three_leg_transaction_posts_every_leg_in_one_event() {
        Leg[] legs = {leg("acc_a", "acc_b", 700, USD), leg("acc_a", "acc_c", 300, USD), leg("acc_b", "acc_c", 50, USD)};

        LedgerTransactionState state = spec.when(post(legs)).then(posted(legs));

        assertThat(state).isEqualTo(new LedgerTransaction("ltx_1", "mer_1", List.of(legs), "split", Map.of("order", "42"),
                Status.POSTED, List.of(700L, 300L, 50L), null, T0, T0));
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
        assertThatThrownBy(() -> LedgerTransactionPosted.inFull("ltx_1", "mer_1", List.of(one, one), null, Map.of(), T0,
                List.of(new Posting("acc_a", USD, -5, 0)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LedgerTransactionPosted.inFull("ltx_1", "mer_1", List.of(one), null, Map.of(), T0,
                postings(one))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LedgerTransactionPosted("ltx_1", "mer_1", List.of(one, one), List.of(5L, 6L), null,
                Map.of(), T0, postings(one, one))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_second_posted_event_on_one_stream_is_a_corrupt_stream() {
        Leg[] legs = {leg("acc_a", "acc_b", 1, USD), leg("acc_b", "acc_c", 1, USD)};
        var decider = new LedgerTransactionDecider();
        LedgerTransactionState once = decider.evolve(decider.initialState(), posted(legs));
        assertThatThrownBy(() -> decider.evolve(once, posted(legs))).isInstanceOf(IllegalStateException.class);
    }

    @Nested
    class Pending_transactions {

        static final Instant EXPIRY = T0.plusSeconds(60);
        static final Leg AB = leg("acc_a", "acc_b", 700, USD);
        static final Leg AC = leg("acc_a", "acc_c", 300, USD);

        static PostLedgerTransaction pending(Instant expiresAt, Leg... legs) {
            return new PostLedgerTransaction("ltx_1", "mer_1", List.of(legs), CURRENCIES, "hold", Map.of(), true,
                    expiresAt, T0);
        }

        static LedgerTransactionEvent.LedgerTransactionPending held(Instant expiresAt, Leg... legs) {
            List<Posting> holds = new ArrayList<>();
            for (Leg leg : legs) {
                holds.add(new Posting(leg.fromAccountId(), leg.amount().currency(), 0, leg.amount().amountMinor()));
            }
            return new LedgerTransactionEvent.LedgerTransactionPending("ltx_1", "mer_1", List.of(legs), "hold", Map.of(),
                    expiresAt, T0, holds);
        }

        static List<Posting> releases() {
            return List.of(new Posting("acc_a", USD, 0, -700), new Posting("acc_a", USD, 0, -300));
        }

        @Test
        void a_pending_transaction_holds_each_legs_amount_on_its_from_account_and_moves_nothing() {
            LedgerTransactionState state = spec.when(pending(EXPIRY, AB, AC)).then(held(EXPIRY, AB, AC));

            assertThat(state).isEqualTo(new LedgerTransaction("ltx_1", "mer_1", List.of(AB, AC), "hold", Map.of(),
                    Status.PENDING, List.of(0L, 0L), EXPIRY, T0, T0));
            assertThat(held(EXPIRY, AB, AC).type()).isEqualTo("ledger_transaction.pending");
        }

        @Test
        void a_timeout_must_end_after_creation_and_only_a_pending_transaction_has_one() {
            spec.when(pending(T0, AB, AC)).thenRejected(LedgerTransactionRejection.of(Reason.TIMEOUT_INVALID));
            spec.when(new PostLedgerTransaction("ltx_1", "mer_1", List.of(AB, AC), CURRENCIES, null, Map.of(), false,
                    EXPIRY, T0)).thenRejected(LedgerTransactionRejection.of(Reason.TIMEOUT_INVALID));
            spec.when(pending(null, AB, AC)).then(held(null, AB, AC));
        }

        @Test
        void posting_in_full_releases_every_hold_and_moves_every_leg() {
            Instant later = T0.plusSeconds(10);
            var expected = new LedgerTransactionPosted("ltx_1", "mer_1", List.of(AB, AC), List.of(700L, 300L), "hold",
                    Map.of(), later, List.of(new Posting("acc_a", USD, -700, -700), new Posting("acc_b", USD, 700, 0),
                            new Posting("acc_a", USD, -300, -300), new Posting("acc_c", USD, 300, 0)));

            LedgerTransactionState state = spec.given(held(EXPIRY, AB, AC))
                    .when(new LedgerTransactionCommand.PostPending("ltx_1", null, later)).then(expected);

            assertThat(((LedgerTransaction) state).status()).isEqualTo(Status.POSTED);
            assertThat(((LedgerTransaction) state).updatedAt()).isEqualTo(later);
        }

        @Test
        void posting_in_part_takes_the_legs_in_order_and_releases_the_rest() {
            var events = spec.given(held(EXPIRY, AB, AC))
                    .when(new LedgerTransactionCommand.PostPending("ltx_1", 800L, T0)).events();

            var posted = (LedgerTransactionPosted) events.getFirst();
            assertThat(posted.postedMinor()).containsExactly(700L, 100L);
            assertThat(posted.postings()).containsExactly(new Posting("acc_a", USD, -700, -700),
                    new Posting("acc_b", USD, 700, 0), new Posting("acc_a", USD, -100, -300), new Posting("acc_c", USD, 100, 0));
        }

        @Test
        void a_partial_post_that_leaves_a_leg_untouched_only_releases_its_hold() {
            var posted = (LedgerTransactionPosted) spec.given(held(EXPIRY, AB, AC))
                    .when(new LedgerTransactionCommand.PostPending("ltx_1", 500L, T0)).events().getFirst();

            assertThat(posted.postedMinor()).containsExactly(500L, 0L);
            assertThat(posted.postings()).containsExactly(new Posting("acc_a", USD, -500, -700),
                    new Posting("acc_b", USD, 500, 0), new Posting("acc_a", USD, 0, -300));
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, 1001})
        void a_partial_post_is_at_least_1_and_at_most_what_is_held(long amount) {
            spec.given(held(EXPIRY, AB, AC)).when(new LedgerTransactionCommand.PostPending("ltx_1", amount, T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.POST_EXCEEDS_PENDING));
        }

        @Test
        void a_partial_post_of_legs_in_several_currencies_is_ambiguous() {
            Leg euros = leg("acc_x", "acc_y", 10, EUR);
            spec.given(held(EXPIRY, AB, euros)).when(new LedgerTransactionCommand.PostPending("ltx_1", 5L, T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.AMOUNT_CURRENCY_AMBIGUOUS));
        }

        @Test
        void voiding_releases_every_hold() {
            LedgerTransactionState state = spec.given(held(EXPIRY, AB, AC))
                    .when(new LedgerTransactionCommand.VoidPending("ltx_1", T0))
                    .then(new LedgerTransactionEvent.LedgerTransactionVoided("ltx_1", T0, releases()));

            assertThat(((LedgerTransaction) state).status()).isEqualTo(Status.VOIDED);
        }

        @Test
        void once_its_time_is_up_it_expires_at_the_recorded_time_however_late_the_processor_runs() {
            LedgerTransactionState state = spec.given(held(EXPIRY, AB, AC))
                    .when(new LedgerTransactionCommand.ExpirePending("ltx_1", EXPIRY.plusSeconds(3_600)))
                    .then(new LedgerTransactionEvent.LedgerTransactionExpired("ltx_1", EXPIRY, releases()));

            assertThat(((LedgerTransaction) state).status()).isEqualTo(Status.EXPIRED);
            assertThat(((LedgerTransaction) state).updatedAt()).isEqualTo(EXPIRY);
        }

        @Test
        void an_expiry_before_its_time_is_refused_and_one_after_a_resolution_is_already_done() {
            spec.given(held(EXPIRY, AB, AC)).when(new LedgerTransactionCommand.ExpirePending("ltx_1", EXPIRY.minusMillis(1)))
                    .thenRejected(LedgerTransactionRejection.of(Reason.NOT_YET_EXPIRED));
            spec.given(held(null, AB, AC)).when(new LedgerTransactionCommand.ExpirePending("ltx_1", EXPIRY))
                    .thenRejected(LedgerTransactionRejection.of(Reason.INVALID_STATE));
            spec.given(held(EXPIRY, AB, AC), new LedgerTransactionEvent.LedgerTransactionVoided("ltx_1", T0, releases()))
                    .when(new LedgerTransactionCommand.ExpirePending("ltx_1", EXPIRY)).thenAlreadyDone();
        }

        @Test
        void post_and_void_are_refused_once_the_time_is_up_and_after_a_resolution() {
            spec.given(held(EXPIRY, AB, AC)).when(new LedgerTransactionCommand.PostPending("ltx_1", null, EXPIRY))
                    .thenRejected(LedgerTransactionRejection.of(Reason.EXPIRED));
            spec.given(held(EXPIRY, AB, AC)).when(new LedgerTransactionCommand.VoidPending("ltx_1", EXPIRY))
                    .thenRejected(LedgerTransactionRejection.of(Reason.EXPIRED));
            spec.given(held(EXPIRY, AB, AC), new LedgerTransactionEvent.LedgerTransactionVoided("ltx_1", T0, releases()))
                    .when(new LedgerTransactionCommand.PostPending("ltx_1", null, T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.INVALID_STATE));
            spec.given(posted(AB, AC)).when(new LedgerTransactionCommand.VoidPending("ltx_1", T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.INVALID_STATE));
        }

        @Test
        void nothing_is_done_to_a_transaction_that_does_not_exist() {
            for (LedgerTransactionCommand command : List.<LedgerTransactionCommand>of(
                    new LedgerTransactionCommand.PostPending("ltx_1", null, T0),
                    new LedgerTransactionCommand.VoidPending("ltx_1", T0),
                    new LedgerTransactionCommand.ExpirePending("ltx_1", T0),
                    new LedgerTransactionCommand.ReverseLedgerTransaction("ltx_1", T0))) {
                spec.when(command).thenRejected(LedgerTransactionRejection.of(Reason.LEDGER_TRANSACTION_NOT_FOUND));
            }
        }
    }

    @Nested
    class Reversals {

        static final Leg AB = leg("acc_a", "acc_b", 700, USD);
        static final Leg BC = leg("acc_b", "acc_c", 300, USD);

        @Test
        void a_reversal_moves_each_leg_back_with_compensating_postings() {
            Instant later = T0.plusSeconds(5);
            LedgerTransactionState state = spec.given(posted(AB, BC))
                    .when(new LedgerTransactionCommand.ReverseLedgerTransaction("ltx_1", later))
                    .then(new LedgerTransactionEvent.LedgerTransactionReversed("ltx_1", later, List.of(
                            new Posting("acc_b", USD, -700, 0), new Posting("acc_a", USD, 700, 0),
                            new Posting("acc_c", USD, -300, 0), new Posting("acc_b", USD, 300, 0))));

            assertThat(((LedgerTransaction) state).status()).isEqualTo(Status.REVERSED);
        }

        @Test
        void a_reversal_of_a_partly_posted_transaction_returns_only_what_moved() {
            var held = Pending_transactions.held(null, AB, BC);
            var partly = new LedgerTransactionPosted("ltx_1", "mer_1", List.of(AB, BC), List.of(400L, 0L), "hold", Map.of(), T0,
                    List.of(new Posting("acc_a", USD, -400, -700), new Posting("acc_b", USD, 400, 0),
                            new Posting("acc_b", USD, 0, -300)));

            var reversed = spec.given(held, partly).when(new LedgerTransactionCommand.ReverseLedgerTransaction("ltx_1", T0))
                    .events().getFirst();

            assertThat(reversed.postings()).containsExactly(new Posting("acc_b", USD, -400, 0), new Posting("acc_a", USD, 400, 0));
        }

        @Test
        void a_transaction_is_reversed_at_most_once_and_only_once_posted() {
            var reversed = new LedgerTransactionEvent.LedgerTransactionReversed("ltx_1", T0, List.of(
                    new Posting("acc_b", USD, -700, 0), new Posting("acc_a", USD, 700, 0),
                    new Posting("acc_c", USD, -300, 0), new Posting("acc_b", USD, 300, 0)));
            spec.given(posted(AB, BC), reversed).when(new LedgerTransactionCommand.ReverseLedgerTransaction("ltx_1", T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.ALREADY_REVERSED));
            spec.given(Pending_transactions.held(null, AB, BC))
                    .when(new LedgerTransactionCommand.ReverseLedgerTransaction("ltx_1", T0))
                    .thenRejected(LedgerTransactionRejection.of(Reason.INVALID_STATE));
        }
    }
}
