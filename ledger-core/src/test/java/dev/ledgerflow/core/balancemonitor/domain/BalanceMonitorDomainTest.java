package dev.ledgerflow.core.balancemonitor.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.AccountFacts;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.CreateBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.DeleteBalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.FeedPlace;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorCommand.ObserveBalance;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorCreated;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorDeleted;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorRearmed;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorEvent.BalanceMonitorTriggered;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.BalanceMonitor;
import dev.ledgerflow.core.balancemonitor.domain.BalanceMonitorState.Status;
import dev.ledgerflow.core.balancemonitor.domain.Condition.Field;
import dev.ledgerflow.core.balancemonitor.domain.Condition.Operator;
import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BalanceMonitorDomainTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");
    static final AccountFacts ACCOUNT = new AccountFacts("acc_1", "mer_1", USD, 0);
    static final Condition BELOW_1000 = new Condition(Field.AVAILABLE, Operator.BELOW, 1_000, 200);

    final DeciderSpec<BalanceMonitorCommand, BalanceMonitorState, BalanceMonitorEvent, BalanceMonitorRejection> spec =
            DeciderSpec.of(new BalanceMonitorDecider());

    static CreateBalanceMonitor create(AccountFacts account, Condition condition, CurrencyCode currency) {
        return new CreateBalanceMonitor("bm_1", "mer_1", "acc_1", account, condition, currency, T0);
    }

    static BalanceMonitorCreated created(Condition condition) {
        return new BalanceMonitorCreated("bm_1", "mer_1", "acc_1", USD, 0, condition, T0);
    }

    static FeedPlace at(long position) {
        return new FeedPlace(100 + position, position);
    }

    static ObserveBalance observe(long balance, long position) {
        return new ObserveBalance("bm_1", balance, at(position), T0.plusSeconds(position));
    }

    static BalanceMonitorTriggered triggered(long balance, long position) {
        return new BalanceMonitorTriggered("bm_1", "acc_1", balance, 1_000, at(position), T0.plusSeconds(position));
    }

    static BalanceMonitorRearmed rearmed(long balance, long position) {
        return new BalanceMonitorRearmed("bm_1", "acc_1", balance, at(position), T0.plusSeconds(position));
    }

    @Nested
    class Creating {

        @Test
        void a_monitor_on_the_merchants_account_is_created_armed() {
            var state = spec.when(create(ACCOUNT, BELOW_1000, USD)).then(created(BELOW_1000));
            assertThat(state).isInstanceOfSatisfying(BalanceMonitor.class, m -> {
                assertThat(m.status()).isEqualTo(Status.ARMED);
                assertThat(m.triggerCount()).isZero();
            });
        }

        @Test
        void without_a_currency_it_takes_the_accounts_and_records_its_overdraft_limit() {
            var account = new AccountFacts("acc_1", "mer_1", EUR, 5_000);
            spec.when(create(account, BELOW_1000, null))
                    .then(new BalanceMonitorCreated("bm_1", "mer_1", "acc_1", EUR, 5_000, BELOW_1000, T0));
        }

        @Test
        void a_negative_threshold_is_allowed_for_accounts_with_an_overdraft() {
            var condition = new Condition(Field.POSTED, Operator.BELOW, -500, 0);
            spec.when(create(ACCOUNT, condition, USD)).then(created(condition));
        }

        @ParameterizedTest(name = "threshold {0}")
        @CsvSource({"1000000000001", "-1000000000001"})
        void a_threshold_beyond_ten_to_the_twelve_is_rejected(long threshold) {
            spec.when(create(ACCOUNT, new Condition(Field.AVAILABLE, Operator.ABOVE, threshold, 0), USD))
                    .thenRejected(BalanceMonitorRejection.THRESHOLD_INVALID);
        }

        @ParameterizedTest(name = "hysteresis {0}")
        @CsvSource({"-1", "1000000000001"})
        void a_negative_or_huge_hysteresis_is_rejected(long hysteresis) {
            spec.when(create(ACCOUNT, new Condition(Field.AVAILABLE, Operator.BELOW, 1_000, hysteresis), USD))
                    .thenRejected(BalanceMonitorRejection.HYSTERESIS_INVALID);
        }

        @Test
        void an_unknown_account_is_rejected() {
            spec.when(create(null, BELOW_1000, USD)).thenRejected(BalanceMonitorRejection.ACCOUNT_NOT_FOUND);
        }

        @Test
        void another_merchants_account_is_rejected_as_unknown() {
            spec.when(create(new AccountFacts("acc_1", "mer_2", USD, 0), BELOW_1000, USD))
                    .thenRejected(BalanceMonitorRejection.ACCOUNT_NOT_FOUND);
        }

        @Test
        void a_system_account_is_rejected_as_unknown() {
            spec.when(create(new AccountFacts("acc_1", null, USD, 0), BELOW_1000, USD))
                    .thenRejected(BalanceMonitorRejection.ACCOUNT_NOT_FOUND);
        }

        @Test
        void a_currency_other_than_the_accounts_is_rejected() {
            spec.when(create(ACCOUNT, BELOW_1000, EUR)).thenRejected(BalanceMonitorRejection.CURRENCY_MISMATCH);
        }

        @Test
        void a_second_create_on_the_same_stream_is_rejected() {
            spec.given(created(BELOW_1000)).when(create(ACCOUNT, BELOW_1000, USD))
                    .thenRejected(BalanceMonitorRejection.BALANCE_MONITOR_EXISTS);
        }

        @Test
        void the_checks_run_in_their_listed_order() {
            // Bad threshold and foreign account at once: the threshold is checked first.
            spec.when(create(null, new Condition(Field.AVAILABLE, Operator.BELOW, Long.MAX_VALUE, -1), EUR))
                    .thenRejected(BalanceMonitorRejection.THRESHOLD_INVALID);
        }
    }

    @Nested
    class Firing {

        @Test
        void an_armed_monitor_fires_when_the_balance_goes_below_the_threshold() {
            var state = spec.given(created(BELOW_1000)).when(observe(999, 5)).then(triggered(999, 5));
            assertThat(((BalanceMonitor) state).status()).isEqualTo(Status.TRIGGERED);
            assertThat(((BalanceMonitor) state).lastTrigger().cause()).isEqualTo(at(5));
        }

        @Test
        void a_balance_at_the_threshold_does_not_fire_below() {
            spec.given(created(BELOW_1000)).when(observe(1_000, 5)).thenAlreadyDone();
        }

        @Test
        void it_fires_once_while_the_balance_stays_below() {
            spec.given(created(BELOW_1000), triggered(900, 5)).when(observe(100, 6)).thenAlreadyDone();
        }

        @Test
        void inside_the_hysteresis_band_it_stays_triggered() {
            spec.given(created(BELOW_1000), triggered(900, 5)).when(observe(1_199, 6)).thenAlreadyDone();
        }

        @Test
        void at_threshold_plus_hysteresis_it_rearms() {
            spec.given(created(BELOW_1000), triggered(900, 5)).when(observe(1_200, 6)).then(rearmed(1_200, 6));
        }

        @Test
        void once_rearmed_it_fires_again() {
            var state = spec.given(created(BELOW_1000), triggered(900, 5), rearmed(1_500, 6))
                    .when(observe(10, 7)).then(triggered(10, 7));
            assertThat(((BalanceMonitor) state).triggerCount()).isEqualTo(2);
        }

        @Test
        void an_armed_monitor_above_the_threshold_stays_armed() {
            spec.given(created(BELOW_1000), triggered(900, 5), rearmed(1_500, 6)).when(observe(1_100, 7))
                    .thenAlreadyDone();
        }

        @Test
        void above_fires_over_the_threshold_and_rearms_at_threshold_minus_hysteresis() {
            var above = new Condition(Field.AVAILABLE, Operator.ABOVE, 5_000, 500);
            var fired = new BalanceMonitorTriggered("bm_1", "acc_1", 5_001, 5_000, at(3), T0.plusSeconds(3));
            spec.given(created(above)).when(observe(5_000, 2)).thenAlreadyDone();
            spec.given(created(above)).when(observe(5_001, 3)).then(fired);
            spec.given(created(above), fired).when(observe(4_501, 4)).thenAlreadyDone();
            spec.given(created(above), fired).when(observe(4_500, 4)).then(rearmed(4_500, 4));
        }

        @Test
        void a_replayed_observation_of_the_crossing_is_already_done() {
            spec.given(created(BELOW_1000), triggered(900, 5)).when(observe(900, 5)).thenAlreadyDone();
        }

        @Test
        void a_replayed_observation_before_a_rearm_does_not_fire_again() {
            // After a crash the evaluator reports event 5 again, though the monitor re-armed at 6.
            spec.given(created(BELOW_1000), triggered(900, 5), rearmed(1_500, 6)).when(observe(900, 5))
                    .thenAlreadyDone();
        }

        @Test
        void the_feed_order_is_by_transaction_then_position() {
            // A lower position written by a later transaction comes later in the feed.
            var later = new ObserveBalance("bm_1", 1_300, new FeedPlace(200, 1), T0);
            spec.given(created(BELOW_1000), triggered(900, 5)).when(later)
                    .then(new BalanceMonitorRearmed("bm_1", "acc_1", 1_300, new FeedPlace(200, 1), T0));
        }

        @Test
        void a_deleted_monitor_never_fires() {
            spec.given(created(BELOW_1000), new BalanceMonitorDeleted("bm_1", T0)).when(observe(1, 5))
                    .thenAlreadyDone();
        }

        @Test
        void an_observation_of_no_monitor_is_rejected() {
            spec.when(observe(1, 5)).thenRejected(BalanceMonitorRejection.BALANCE_MONITOR_NOT_FOUND);
        }

        @Test
        void the_posted_field_ignores_holds_and_available_counts_them_with_the_overdraft() {
            assertThat(new Condition(Field.POSTED, Operator.BELOW, 0, 0).balanceOf(500, 400, 100)).isEqualTo(500);
            assertThat(new Condition(Field.AVAILABLE, Operator.BELOW, 0, 0).balanceOf(500, 400, 100)).isEqualTo(200);
        }
    }

    @Nested
    class Deleting {

        @Test
        void a_monitor_is_deleted() {
            var state = spec.given(created(BELOW_1000), triggered(900, 5))
                    .when(new DeleteBalanceMonitor("bm_1", T0)).then(new BalanceMonitorDeleted("bm_1", T0));
            assertThat(((BalanceMonitor) state).status()).isEqualTo(Status.DELETED);
            assertThat(((BalanceMonitor) state).triggerCount()).isEqualTo(1);
        }

        @Test
        void deleting_twice_is_rejected() {
            spec.given(created(BELOW_1000), new BalanceMonitorDeleted("bm_1", T0))
                    .when(new DeleteBalanceMonitor("bm_1", T0)).thenRejected(BalanceMonitorRejection.ALREADY_DELETED);
        }

        @Test
        void deleting_no_monitor_is_rejected() {
            spec.when(new DeleteBalanceMonitor("bm_1", T0)).thenRejected(BalanceMonitorRejection.BALANCE_MONITOR_NOT_FOUND);
        }
    }

    @Nested
    class CorruptStreams {

        @Test
        void a_trigger_of_a_triggered_monitor_is_a_corrupt_stream() {
            var decider = new BalanceMonitorDecider();
            var state = decider.fold(java.util.List.of(created(BELOW_1000), triggered(900, 5)));
            assertThatThrownBy(() -> decider.evolve(state, triggered(800, 6))).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void a_rearm_of_an_armed_monitor_is_a_corrupt_stream() {
            var decider = new BalanceMonitorDecider();
            var state = decider.fold(java.util.List.of(created(BELOW_1000)));
            assertThatThrownBy(() -> decider.evolve(state, rearmed(1_500, 6))).isInstanceOf(IllegalStateException.class);
        }
    }
}
