package dev.ledgerflow.core.money.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class MoneyDomainTest {

    static final CurrencyCode USD = CurrencyCode.of("USD");
    static final CurrencyCode EUR = CurrencyCode.of("EUR");

    @Nested
    class A_currency_code {

        @ParameterizedTest
        @ValueSource(strings = {"usd", "USD", "Usd", "uSd"})
        void is_accepted_in_any_case_and_kept_in_upper_case(String given) {
            assertThat(CurrencyCode.of(given).code()).isEqualTo("USD");
            assertThat(CurrencyCode.of(given)).isEqualTo(USD);
            assertThat(CurrencyCode.isValid(given)).isTrue();
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"US", "USDD", "XYZ", "ABC", "us1", "u d", "uſd", "XAU", "XXX", "XTS"})
        void must_be_an_iso_4217_code_with_minor_units(String given) {
            assertThat(CurrencyCode.isValid(given)).isFalse();
            assertThatThrownBy(() -> CurrencyCode.of(given)).isInstanceOf(IllegalArgumentException.class);
        }

        @ParameterizedTest(name = "{0} has {1} minor digits")
        @CsvSource({"USD, 2", "EUR, 2", "INR, 2", "JPY, 0", "KRW, 0", "KWD, 3", "BHD, 3"})
        void knows_its_minor_unit_digits(String code, int digits) {
            assertThat(CurrencyCode.of(code).minorUnitDigits()).isEqualTo(digits);
        }
    }

    @Nested
    class An_amount_in_a_request {

        @ParameterizedTest(name = "{0} → {1}")
        @CsvSource({
            "-1, false",
            "0, false",
            "1, true",
            "999999999999, true",
            "1000000000000, true",
            "1000000000001, false",
            "9223372036854775807, false"
        })
        void must_be_between_one_and_ten_to_the_twelfth(long amountMinor, boolean valid) {
            assertThat(Money.of(amountMinor, USD).withinRequestLimits()).isEqualTo(valid);
            assertThat(Money.withinRequestLimits(amountMinor)).isEqualTo(valid);
        }

        @Test
        void has_its_maximum_as_a_named_constant() {
            assertThat(Money.AMOUNT_MAX_MINOR).isEqualTo(1_000_000_000_000L);
        }
    }

    @Nested
    class Arithmetic {

        @Test
        void adds_subtracts_and_negates_within_one_currency() {
            assertThat(Money.of(150, USD).plus(Money.of(50, USD))).isEqualTo(Money.of(200, USD));
            assertThat(Money.of(150, USD).minus(Money.of(200, USD))).isEqualTo(Money.of(-50, USD));
            assertThat(Money.of(150, USD).negate()).isEqualTo(Money.of(-150, USD));
            assertThat(Money.zero(USD).plus(Money.of(7, "usd"))).isEqualTo(Money.of(7, USD));
        }

        @Test
        void never_mixes_currencies() {
            assertThatThrownBy(() -> Money.of(1, USD).plus(Money.of(1, EUR)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Money.of(1, USD).minus(Money.of(1, EUR)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(Money.of(1, USD).sameCurrencyAs(Money.of(2, EUR))).isFalse();
        }

        @Test
        void throws_on_overflow_instead_of_wrapping_around() {
            assertThatThrownBy(() -> Money.of(Long.MAX_VALUE, USD).plus(Money.of(1, USD)))
                    .isInstanceOf(ArithmeticException.class);
            assertThatThrownBy(() -> Money.of(Long.MIN_VALUE, USD).minus(Money.of(1, USD)))
                    .isInstanceOf(ArithmeticException.class);
            assertThatThrownBy(() -> Money.of(Long.MIN_VALUE, USD).negate()).isInstanceOf(ArithmeticException.class);
        }

        @Test
        void needs_a_currency() {
            assertThatThrownBy(() -> new Money(1, null)).isInstanceOf(NullPointerException.class);
        }
    }
}
