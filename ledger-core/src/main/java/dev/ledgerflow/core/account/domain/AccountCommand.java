package dev.ledgerflow.core.account.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/** What can be asked of an account stream ({@code acc_…}). */
public sealed interface AccountCommand {

    String accountId();

    /**
     * Open a merchant account in one currency. The overdraft limit is how far below zero its
     * available balance may go; the store's balance guard enforces it.
     */
    record OpenAccount(
            String accountId,
            String merchantId,
            CurrencyCode currency,
            long overdraftLimitMinor,
            Map<String, String> metadata,
            Instant at)
            implements AccountCommand {
        public OpenAccount {
            IdChecks.require(accountId, "acc_");
            IdChecks.require(merchantId, "mer_");
            Objects.requireNonNull(currency, "currency");
            metadata = Map.copyOf(metadata);
            Objects.requireNonNull(at, "at");
        }
    }
}
