package dev.ledgerflow.core.transfer.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Objects;

/** What can be asked of a transfer stream ({@code tr_…}). */
public sealed interface TransferCommand {

    String transferId();

    /**
     * Move money between two merchant accounts of one currency. The shell has loaded both accounts
     * (and checked they belong to the merchant) and passes their currencies.
     *
     * @param description free text, or null
     */
    record PostTransfer(
            String transferId,
            String merchantId,
            String fromAccountId,
            CurrencyCode fromCurrency,
            String toAccountId,
            CurrencyCode toCurrency,
            Money amount,
            String description,
            Instant at)
            implements TransferCommand {
        public PostTransfer {
            IdChecks.require(transferId, "tr_");
            IdChecks.require(merchantId, "mer_");
            IdChecks.require(fromAccountId, "acc_");
            Objects.requireNonNull(fromCurrency, "fromCurrency");
            IdChecks.require(toAccountId, "acc_");
            Objects.requireNonNull(toCurrency, "toCurrency");
            Objects.requireNonNull(amount, "amount");
            Objects.requireNonNull(at, "at");
        }
    }
}
