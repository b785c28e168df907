package dev.ledgerflow.core.posting.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PostingsDomainTest {

    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");

    @Nested
    class System_accounts {

        @Test
        void have_one_id_per_currency_and_one_settlement_account_per_merchant_and_currency() {
            assertThat(Postings.fundingAccount(USD)).isEqualTo("sys_funding_USD");
            assertThat(Postings.cardClearingAccount(EUR)).isEqualTo("sys_card_clearing_EUR");
            assertThat(Postings.settlementAccount("mer_42", USD)).isEqualTo("set_mer_42_USD");
        }

        @ParameterizedTest(name = "{0} system: {1}")
        @CsvSource({
            "sys_funding_USD, true",
            "sys_card_clearing_EUR, true",
            "set_mer_42_USD, true",
            "acc_123, false"
        })
        void are_told_apart_from_merchant_accounts_which_the_balance_guard_checks(String accountId, boolean system) {
            assertThat(Postings.isSystemAccount(accountId)).isEqualTo(system);
            assertThat(Posting.posted(accountId, Money.of(1, USD)).systemAccount()).isEqualTo(system);
        }
    }

    @Nested
    class The_double_entry_rule {

        @Test
        void a_move_debits_one_account_and_credits_the_other() {
            assertThat(Postings.move(Money.of(500, USD), "acc_a", "acc_b")).containsExactly(
                    new Posting("acc_a", USD, -500, 0), new Posting("acc_b", USD, 500, 0));
        }

        @Test
        void posted_deltas_balance_per_currency_not_across_currencies() {
            List<Posting> balanced = List.of(
                    new Posting("acc_a", USD, -500, 0), new Posting("acc_b", USD, 500, 0),
                    new Posting("acc_c", EUR, 70, 0), new Posting("sys_funding_EUR", EUR, -70, 0));
            List<Posting> acrossCurrencies = List.of(
                    new Posting("acc_a", USD, -500, 0), new Posting("acc_c", EUR, 500, 0));

            assertThat(Postings.balanced(balanced)).isTrue();
            assertThat(Postings.postedSumByCurrency(acrossCurrencies)).containsEntry(USD, -500L).containsEntry(EUR, 500L);
            assertThat(Postings.balanced(acrossCurrencies)).isFalse();
            assertThatThrownBy(() -> Postings.requireBalanced(acrossCurrencies))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void a_hold_is_pending_on_one_account_and_needs_no_counter_entry() {
            // A hold moves no value: it only lowers one account's available balance until capture.
            List<Posting> hold = List.of(Posting.pending("acc_a", Money.of(300, USD)));

            assertThat(Postings.balanced(hold)).isTrue();
            assertThat(hold.getFirst()).isEqualTo(new Posting("acc_a", USD, 0, 300));
        }

        @Test
        void a_posting_that_changes_nothing_is_a_bug() {
            assertThatThrownBy(() -> new Posting("acc_a", USD, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void sums_are_exact() {
            List<Posting> overflowing = List.of(
                    new Posting("acc_a", USD, Long.MAX_VALUE, 0), new Posting("acc_b", USD, 1, 0));
            assertThatThrownBy(() -> Postings.postedSumByCurrency(overflowing)).isInstanceOf(ArithmeticException.class);
        }
    }
}
