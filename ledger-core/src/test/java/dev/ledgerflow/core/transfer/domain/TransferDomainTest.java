package dev.ledgerflow.core.transfer.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.Posting;
import dev.ledgerflow.core.posting.domain.Postings;
import dev.ledgerflow.core.transfer.domain.TransferCommand.PostTransfer;
import dev.ledgerflow.core.transfer.domain.TransferEvent.TransferPosted;
import dev.ledgerflow.core.transfer.domain.TransferState.Transfer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransferDomainTest {

    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");

    final DeciderSpec<TransferCommand, TransferState, TransferEvent, TransferRejection> spec =
            DeciderSpec.of(new TransferDecider());

    static PostTransfer transfer(String from, String fromCurrency, String to, String toCurrency, Money amount) {
        return new PostTransfer("tr_1", "mer_1", from, CurrencyCode.of(fromCurrency), to, CurrencyCode.of(toCurrency),
                amount, "rent", T0);
    }

    static PostTransfer transfer(long amountMinor) {
        return transfer("acc_a", "USD", "acc_b", "USD", Money.of(amountMinor, USD));
    }

    static TransferPosted posted(long amountMinor) {
        return new TransferPosted("tr_1", "mer_1", "acc_a", "acc_b", Money.of(amountMinor, USD), "rent", T0,
                List.of(new Posting("acc_a", USD, -amountMinor, 0), new Posting("acc_b", USD, amountMinor, 0)));
    }

    @Test
    void a_transfer_debits_the_from_account_and_credits_the_to_account() {
        TransferState state = spec.when(transfer(700)).then(posted(700));

        assertThat(state).isEqualTo(new Transfer("tr_1", "mer_1", "acc_a", "acc_b", Money.of(700, USD), "rent", T0));
        assertThat(posted(700).type()).isEqualTo("transfer.posted");
        assertThat(posted(700).postings()).noneMatch(Posting::systemAccount);
        assertThat(Postings.balanced(posted(700).postings())).isTrue();
    }

    @Nested
    class Rejections_in_the_order_they_are_checked {

        @ParameterizedTest(name = "{0} {1} → {2} {3} of {4} {5}: {6}")
        @CsvSource({
            // from,  cur, to,    cur, amount,        amount cur, rejection
            "acc_a, USD, acc_b, USD, 0,             USD, AMOUNT_INVALID",
            "acc_a, USD, acc_b, USD, -1,            USD, AMOUNT_INVALID",
            "acc_a, USD, acc_b, USD, 1000000000001, USD, AMOUNT_INVALID",
            "acc_a, USD, acc_a, USD, 0,             USD, AMOUNT_INVALID",
            "acc_a, USD, acc_a, USD, 100,           USD, SAME_ACCOUNT",
            "acc_a, EUR, acc_a, USD, 100,           USD, SAME_ACCOUNT",
            "acc_a, EUR, acc_b, USD, 100,           USD, CURRENCY_MISMATCH",
            "acc_a, USD, acc_b, EUR, 100,           USD, CURRENCY_MISMATCH",
            "acc_a, EUR, acc_b, EUR, 100,           USD, CURRENCY_MISMATCH",
        })
        void rule_table(String from, String fromCurrency, String to, String toCurrency, long amountMinor,
                String amountCurrency, TransferRejection rejection) {
            spec.when(transfer(from, fromCurrency, to, toCurrency, Money.of(amountMinor, amountCurrency)))
                    .thenRejected(rejection);
        }

        @Test
        void a_transfer_id_is_never_reused() {
            spec.given(posted(700)).when(transfer(700)).thenRejected(TransferRejection.TRANSFER_EXISTS);
        }

        @Test
        void insufficient_funds_is_the_stores_answer_and_the_only_retryable_rejection() {
            // decide cannot see live balances: the store's guard rejects an overdraft at append time.
            spec.when(transfer(Money.AMOUNT_MAX_MINOR)).then(posted(Money.AMOUNT_MAX_MINOR));
            assertThat(TransferRejection.INSUFFICIENT_FUNDS.retryable()).isTrue();
            assertThat(TransferRejection.INSUFFICIENT_FUNDS.code()).isEqualTo("insufficient_funds");
            assertThat(TransferRejection.SAME_ACCOUNT.code()).isEqualTo("same_account");
            assertThat(List.of(TransferRejection.values()))
                    .filteredOn(TransferRejection::retryable)
                    .containsExactly(TransferRejection.INSUFFICIENT_FUNDS);
        }
    }
}
