package dev.ledgerflow.core.ledgertransaction.domain;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A ledger transaction as its stream tells it. */
public sealed interface LedgerTransactionState {

    /** No transaction on this stream yet. */
    record NoLedgerTransaction() implements LedgerTransactionState {}

    /** A posted transaction: every leg moved. */
    record LedgerTransaction(
            String transactionId,
            String merchantId,
            List<Leg> legs,
            String description,
            Map<String, String> metadata,
            Instant createdAt)
            implements LedgerTransactionState {}
}
