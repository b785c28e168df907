package dev.ledgerflow.core.payment.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerflow.core.payment.domain.PaymentSource.Card;
import dev.ledgerflow.core.payment.domain.PaymentSource.Upi;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class CardNumbersDomainTest {

    @Nested
    class The_luhn_check {

        @ParameterizedTest
        @ValueSource(strings = {
            // The simulated acquirer's test numbers (API.md): all must pass, whatever they later do.
            "4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119", "4000000000000259",
            // Other networks and lengths.
            "5555555555554444", "2223003122003222", "378282246310005", "6011111111111117", "3566002020360505",
            "4222222222222", "6250941006528599", "4111111111111111110"
        })
        void accepts_valid_numbers(String digits) {
            assertThat(CardNumbers.luhnValid(digits)).isTrue();
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {
            "4242424242424241", // check digit off by one
            "4242424242424224", // two digits swapped
            "4242 4242 4242 4242", // separators are the shell's to strip
            "4242-4242-4242-4242",
            "42424242424242a2",
            "000000000", // passes the sum, too short for a card
            "0000000000000000000000", // too long
            "42424242420" // passes the sum, one digit short
        })
        void rejects_anything_else(String digits) {
            assertThat(CardNumbers.luhnValid(digits)).isFalse();
        }
    }

    @Nested
    class The_brand {

        @ParameterizedTest(name = "{0} is {1}")
        @CsvSource({
            "4242424242424242, VISA",
            "4000000000000002, VISA",
            "5105105105105100, MASTERCARD",
            "5555555555554444, MASTERCARD",
            "2221000000000009, MASTERCARD",
            "2720990000000007, MASTERCARD",
            "378282246310005, AMEX",
            "371449635398431, AMEX",
            "6011111111111117, DISCOVER",
            "6445644564456445, DISCOVER",
            "6500000000000002, DISCOVER",
            "3566002020360505, UNKNOWN", // JCB
            "30569309025904, UNKNOWN", // Diners Club
            "2720999999999996, MASTERCARD",
            "2721000000000004, UNKNOWN",
            "5605105105105100, UNKNOWN",
            "abc, UNKNOWN"
        })
        void is_told_from_the_leading_digits(String digits, CardBrand brand) {
            assertThat(CardNumbers.brand(digits)).isEqualTo(brand);
        }

        @Test
        void and_the_last_four_digits_are_all_that_is_kept() {
            assertThat(CardNumbers.last4("4242424242424242")).isEqualTo("4242");
            assertThat(CardNumbers.last4("378282246310005")).isEqualTo("0005");
            assertThatThrownBy(() -> CardNumbers.last4("123")).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void a_card_source_holds_no_number_only_brand_last_four_fingerprint_expiry_and_the_acquirer_token() {
            assertThat(Card.class.getRecordComponents())
                    .extracting(c -> c.getName())
                    .containsExactly("brand", "last4", "fingerprint", "expMonth", "expYear", "acquirerToken");
            assertThatThrownBy(() -> new Card(CardBrand.VISA, "42424", "fp", 1, 2030, "tok_sim_approve"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Card(CardBrand.VISA, "4242", "fp", 13, 2030, "tok_sim_approve"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class A_upi_handle {

        @ParameterizedTest
        @ValueSource(strings = {"success@upi", "failure@upi", "jane.doe-99_x@okaxis", "ab@cd"})
        void is_name_at_bank(String vpa) {
            assertThat(Vpa.isValid(vpa)).isTrue();
            assertThat(new Upi(vpa).vpa()).isEqualTo(vpa);
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {
            "success", "@upi", "a@upi", "success@u", "success@upi1", "success@@upi", "succ ess@upi",
            "success@up.i", "a+b@upi"
        })
        void rejects_anything_else(String vpa) {
            assertThat(Vpa.isValid(vpa)).isFalse();
            assertThatThrownBy(() -> new Upi(vpa)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void has_bounded_parts() {
            assertThat(Vpa.isValid("a".repeat(256) + "@" + "b".repeat(64))).isTrue();
            assertThat(Vpa.isValid("a".repeat(257) + "@upi")).isFalse();
            assertThat(Vpa.isValid("ab@" + "b".repeat(65))).isFalse();
        }
    }
}
