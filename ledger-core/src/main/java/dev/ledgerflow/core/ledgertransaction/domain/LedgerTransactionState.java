package dev.ledgerflow.core.ledgertransaction.domain;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A ledger transaction as its stream tells it. */
public sealed interface LedgerTransactionState {

    /** Where a transaction is in its life: {@code pending} → {@code posted} → {@code reversed}, or {@code voided}/{@code expired}. */
    enum Status {
        PENDING, POSTED, VOIDED, EXPIRED, REVERSED;

        /** The public name. */
        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** No transaction on this stream yet. */
    record NoLedgerTransaction() implements LedgerTransactionState {}

    /**
     * A transaction.
     *
     * @param postedMinor what moved of each leg (zeros while pending or after a void or expiry)
     * @param expiresAt a pending transaction's expiry, or null
     */
    record LedgerTransaction(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            String description,
            Map<String, String> metadata,
            Status status,
            List<Long> postedMinor,
            Instant expiresAt,
            Instant createdAt,
            Instant updatedAt)
            implements LedgerTransactionState {

        public LedgerTransaction {
            legs = List.copyOf(legs);
            postedMinor = List.copyOf(postedMinor);
        }

        LedgerTransaction with(Status next, List<Long> posted, Instant at) {
            return new LedgerTransaction(transactionId, merchantId, legs, description, metadata, next, posted, expiresAt,
                    createdAt, at);
        }
    }
}
