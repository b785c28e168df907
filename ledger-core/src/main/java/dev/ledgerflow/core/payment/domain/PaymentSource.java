package dev.ledgerflow.core.payment.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.posting.domain.Postings;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a payment's money comes from. External methods (card, UPI) go through the acquirer and
 * settle through the card clearing account; a wallet is a merchant account of the ledger itself.
 */
public sealed interface PaymentSource {

    /**
     * A card, as far as the ledger may know it: never the number or the CVC.
     *
     * @param fingerprint a keyed hash of the number (made by the shell), equal for equal cards
     */
    record Card(CardBrand brand, String last4, String fingerprint, int expMonth, int expYear, String acquirerToken)
            implements PaymentSource {

        private static final Pattern LAST4 = Pattern.compile("[0-9]{4}");

        public Card {
            Objects.requireNonNull(brand, "brand");
            if (last4 == null || !LAST4.matcher(last4).matches()) {
                throw new IllegalArgumentException("last4 must be four digits");
            }
            if (fingerprint == null || fingerprint.isBlank()) {
                throw new IllegalArgumentException("card without a fingerprint");
            }
            if (expMonth < 1 || expMonth > 12 || expYear < 1000 || expYear > 9999) {
                throw new IllegalArgumentException("expiry out of range: " + expMonth + "/" + expYear);
            }
            if (acquirerToken == null || acquirerToken.isBlank()) {
                throw new IllegalArgumentException("card without an acquirer token");
            }
        }
    }

    /** A UPI handle, checked by {@link Vpa#isValid}. */
    record Upi(String vpa) implements PaymentSource {
        public Upi {
            if (!Vpa.isValid(vpa)) {
                throw new IllegalArgumentException("not a UPI handle: '" + vpa + "'");
            }
        }
    }

    /**
     * A merchant account ({@code acc_…}) of the paying merchant, balance-checked and held while the
     * payment awaits capture. The shell has loaded it, checked its owner and passes its currency.
     */
    record Wallet(String accountId, CurrencyCode accountCurrency) implements PaymentSource {
        public Wallet {
            IdChecks.require(accountId, "acc_");
            Objects.requireNonNull(accountCurrency, "accountCurrency");
        }
    }

    /** The ledger account a capture takes the money from and a refund gives it back to. */
    default String ledgerAccountId(CurrencyCode currency) {
        return switch (this) {
            case Card card -> Postings.cardClearingAccount(currency);
            case Upi upi -> Postings.cardClearingAccount(currency);
            case Wallet wallet -> wallet.accountId();
        };
    }
}
