-- Pending ledger transactions that expire, until they are resolved: what the processor's timers are
-- rebuilt from after a restart. A row is written by the payment processor's feed handler before its
-- checkpoint moves past the ledger_transaction.pending event, and removed once the transaction is
-- posted, voided or expired.
create table ledger_transaction_expiries (
    transaction_id text        collate "C" primary key,
    merchant_id    text        not null,
    expires_at     timestamptz not null
);
