-- The simulated acquirer's own book (standing in for the acquirer's database): the final answer to
-- each request, by the request's idempotency key. A repeated request, from a retry, a restarted
-- processor or another instance, finds the first answer here and is never charged twice.

create table acquirer_charges (
    idempotency_key text        primary key,
    payment_id      text        not null,
    amount          bigint      not null check (amount > 0),
    currency        char(3)     not null,
    outcome         text        not null check (outcome in ('approved', 'declined')),
    failure_code    text,
    created_at      timestamptz not null default now(),
    check ((outcome = 'declined') = (failure_code is not null))
);
