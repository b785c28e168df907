package dev.ledgerflow.core.deposit.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Objects;

/** What can be asked of a deposit stream ({@code dep_…}). */
public sealed interface DepositCommand {

    String depositId();

    /**
     * Credit a merchant account with money from outside the ledger. The shell has loaded the account
     * (and checked it belongs to the merchant) and passes its currency.
     */
    record PostDeposit(
            String depositId,
            String merchantId,
            String accountId,
            CurrencyCode accountCurrency,
            Money amount,
            Instant at)
            implements DepositCommand {
        public PostDeposit {
            IdChecks.require(depositId, "dep_");
            IdChecks.require(merchantId, "mer_");
            IdChecks.require(accountId, "acc_");
            Objects.requireNonNull(accountCurrency, "accountCurrency");
            Objects.requireNonNull(amount, "amount");
            Objects.requireNonNull(at, "at");
        }
    }
}
