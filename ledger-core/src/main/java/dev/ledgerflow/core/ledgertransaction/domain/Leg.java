package dev.ledgerflow.core.ledgertransaction.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.Money;
import java.util.Objects;

/**
 * One posting of a ledger transaction as the client asked for it: {@code amount} from one account to
 * another. Its currency is the amount's; both accounts must hold it.
 */
public record Leg(String fromAccountId, String toAccountId, Money amount) {
    public Leg {
        IdChecks.require(fromAccountId, "acc_");
        IdChecks.require(toAccountId, "acc_");
        Objects.requireNonNull(amount, "amount");
    }
}
