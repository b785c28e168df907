package dev.ledgerflow.core.account.domain;

import dev.ledgerflow.core.decider.IdChecks;
import dev.ledgerflow.core.money.domain.CurrencyCode;
import dev.ledgerflow.core.money.domain.Money;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** What happened to an account. Opening moves no money: balances start at zero. */
public sealed interface AccountEvent {

    String accountId();

    Instant at();

    /** The public event type (API.md, Events). */
    String type();

    /** The account exists, with its currency and overdraft limit fixed for life. */
    record AccountOpened(
            String accountId,
            String merchantId,
            CurrencyCode currency,
            long overdraftLimitMinor,
            Map<String, String> metadata,
            Instant at)
            implements AccountEvent {

        public static final String TYPE = "account.created";

        public AccountOpened {
            IdChecks.require(accountId, "acc_");
            IdChecks.require(merchantId, "mer_");
            Objects.requireNonNull(currency, "currency");
            if (overdraftLimitMinor < 0 || overdraftLimitMinor > Money.AMOUNT_MAX_MINOR) {
                throw new IllegalArgumentException("overdraft limit out of range: " + overdraftLimitMinor);
            }
            // Sorted by key, so that the stored payload does not depend on a map's iteration order.
            metadata = Collections.unmodifiableMap(new TreeMap<>(Map.copyOf(metadata)));
            Objects.requireNonNull(at, "at");
        }

        @Override
        public String type() {
            return TYPE;
        }
    }
}
