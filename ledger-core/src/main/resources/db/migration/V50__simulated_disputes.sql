-- Disputes the simulated acquirer will raise, until they are decided: what the processor's timers are
-- rebuilt from after a restart (like ledger_transaction_expiries). A row is written by the payment
-- processor's feed handler before its checkpoint moves past the payment.created of a dispute test card;
-- step 'dispute' raises payment.disputed at due_at (once the payment is captured), step 'resolve' then
-- appends payment.dispute_won or payment.dispute_lost (outcome) at due_at; the row goes after that.
create table simulated_disputes (
    payment_id  text        collate "C" primary key,
    merchant_id text        not null,
    outcome     text        not null check (outcome in ('won', 'lost')),
    step        text        not null check (step in ('dispute', 'resolve')),
    due_at      timestamptz not null
);
