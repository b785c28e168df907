package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What can be asked of a ledger transaction stream ({@code ltx_…}). */
public sealed interface LedgerTransactionCommand {

    String transactionId();

    /**
     * Move money along several legs at once, all or nothing. The shell has loaded every account the
     * legs name (and checked they belong to the merchant) and passes their currencies.
     *
     * @param accountCurrencies the currency of every account a leg names
     * @param description free text, or null
     * @param metadata the client's key-value pairs (possibly empty)
     */
    record PostLedgerTransaction(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            Map<String, CurrencyCode> accountCurrencies,
            String description,
            Map<String, String> metadata,
            Instant at)
            implements LedgerTransactionCommand {
        public PostLedgerTransaction {
            IdChecks.require(transactionId, "ltx_");
            IdChecks.require(merchantId, "mer_");
            legs = List.copyOf(legs);
            accountCurrencies = Map.copyOf(accountCurrencies);
            metadata = Map.copyOf(metadata);
            for (Leg leg : legs) {
                if (!accountCurrencies.containsKey(leg.fromAccountId()) || !accountCurrencies.containsKey(leg.toAccountId())) {
                    throw new IllegalArgumentException("the shell passes the currency of every account of the legs");
                }
            }
            Objects.requireNonNull(at, "at");
        }
    }
}
