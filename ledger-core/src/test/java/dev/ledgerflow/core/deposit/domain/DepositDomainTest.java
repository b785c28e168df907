package dev.ledgerflow.core.deposit.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.deposit.domain.DepositCommand.PostDeposit;
import dev.ledgerflow.core.deposit.domain.DepositEvent.DepositPosted;
import dev.ledgerflow.core.deposit.domain.DepositState.Deposit;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import dev.ledgerflow.core.posting.domain.Posting;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DepositDomainTest {

    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");

    final DeciderSpec<DepositCommand, DepositState, DepositEvent, DepositRejection> spec =
            DeciderSpec.of(new DepositDecider());

    static PostDeposit deposit(Money amount) {
        return new PostDeposit("dep_1", "mer_1", "acc_1", USD, amount, T0);
    }

    static DepositPosted posted(long amountMinor) {
        return new DepositPosted("dep_1", "mer_1", "acc_1", Money.of(amountMinor, USD), T0, List.of(
                new Posting("sys_funding_USD", USD, -amountMinor, 0), new Posting("acc_1", USD, amountMinor, 0)));
    }

    @Test
    void a_deposit_credits_the_account_from_the_external_funding_account() {
        DepositState state = spec.when(deposit(Money.of(2_500, USD))).then(posted(2_500));

        assertThat(state).isEqualTo(new Deposit("dep_1", "mer_1", "acc_1", Money.of(2_500, USD), T0));
        assertThat(posted(2_500).type()).isEqualTo("deposit.posted");
    }

    @ParameterizedTest
    @ValueSource(longs = {-5, 0, 1_000_000_000_001L})
    void an_amount_outside_one_to_ten_to_the_twelfth_is_invalid(long amountMinor) {
        spec.when(deposit(Money.of(amountMinor, USD))).thenRejected(DepositRejection.AMOUNT_INVALID);
    }

    @Test
    void the_amount_must_be_in_the_account_currency() {
        spec.when(deposit(Money.of(100, EUR))).thenRejected(DepositRejection.CURRENCY_MISMATCH);
    }

    @Test
    void the_amount_is_checked_before_the_currency_and_both_before_the_stream() {
        spec.when(deposit(Money.of(0, EUR))).thenRejected(DepositRejection.AMOUNT_INVALID);
        spec.given(posted(100)).when(deposit(Money.of(100, EUR))).thenRejected(DepositRejection.CURRENCY_MISMATCH);
    }

    @Test
    void a_deposit_id_is_never_reused() {
        spec.given(posted(100)).when(deposit(Money.of(100, USD))).thenRejected(DepositRejection.DEPOSIT_EXISTS);
    }

    @Test
    void an_unbalanced_deposit_cannot_even_be_built() {
        assertThatThrownBy(() -> new DepositPosted("dep_1", "mer_1", "acc_1", Money.of(5, USD), T0,
                        List.of(new Posting("acc_1", USD, 5, 0))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
