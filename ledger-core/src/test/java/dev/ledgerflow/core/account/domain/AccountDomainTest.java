package dev.ledgerflow.core.account.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.account.domain.AccountCommand.OpenAccount;
import dev.ledgerflow.core.account.domain.AccountEvent.AccountOpened;
import dev.ledgerflow.core.account.domain.AccountState.Account;
import dev.ledgerflow.core.decider.DeciderSpec;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccountDomainTest {

    static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    static final CurrencyCode USD = CurrencyCode.of("USD");

    final DeciderSpec<AccountCommand, AccountState, AccountEvent, AccountRejection> spec =
            DeciderSpec.of(new AccountDecider());

    static OpenAccount open(long overdraftLimitMinor) {
        return new OpenAccount("acc_1", "mer_1", USD, overdraftLimitMinor, Map.of("team", "ops"), T0);
    }

    static AccountOpened opened(long overdraftLimitMinor) {
        return new AccountOpened("acc_1", "mer_1", USD, overdraftLimitMinor, Map.of("team", "ops"), T0);
    }

    @Nested
    class Opening {

        @Test
        void opens_an_account_with_its_currency_overdraft_limit_and_metadata() {
            AccountState state = spec.when(open(500)).then(opened(500));

            assertThat(state).isEqualTo(new Account("acc_1", "mer_1", USD, 500, Map.of("team", "ops"), T0));
            assertThat(opened(500).type()).isEqualTo("account.created");
        }

        @ParameterizedTest(name = "overdraft limit {0} → {1}")
        @CsvSource({
            "-1, OVERDRAFT_LIMIT_INVALID",
            "1000000000001, OVERDRAFT_LIMIT_INVALID",
            "0, ",
            "1000000000000, "
        })
        void the_overdraft_limit_is_between_zero_and_ten_to_the_twelfth(long limitMinor, AccountRejection rejection) {
            if (rejection == null) {
                spec.when(open(limitMinor)).then(opened(limitMinor));
            } else {
                spec.when(open(limitMinor)).thenRejected(rejection);
            }
        }

        @Test
        void an_account_id_is_never_reused() {
            spec.given(opened(0)).when(open(0)).thenRejected(AccountRejection.ACCOUNT_EXISTS);
        }

        @Test
        void the_limit_is_checked_before_the_stream() {
            spec.given(opened(0)).when(open(-1)).thenRejected(AccountRejection.OVERDRAFT_LIMIT_INVALID);
        }
    }

    @Nested
    class Rejections {

        @Test
        void are_final_and_have_stable_codes() {
            assertThat(AccountRejection.values()).noneMatch(AccountRejection::retryable);
            assertThat(AccountRejection.ACCOUNT_EXISTS.code()).isEqualTo("account_exists");
        }
    }

    @Test
    void a_second_opening_in_the_stream_is_a_corrupt_stream() {
        assertThatThrownBy(() -> spec.given(opened(0), opened(0)).state()).isInstanceOf(IllegalStateException.class);
    }
}
