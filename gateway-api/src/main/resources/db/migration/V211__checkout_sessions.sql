-- Hosted checkout sessions: what a merchant's customer is asked to pay, reachable by the unguessable id
-- alone. payment_id is the session's current payment attempt; it is replaced only by compare-and-set,
-- and only after the attempt failed (or never got written), so a session is paid at most once.
create table checkout_sessions (
    id                 text        primary key,
    merchant_id        text        not null references merchants (id),
    amount             bigint      not null check (amount > 0),
    currency           text        not null,
    description        text,
    success_url        text        not null,
    cancel_url         text        not null,
    methods            text[]      not null,
    expires_at         timestamptz not null,
    created_at         timestamptz not null,
    payment_id         text,
    payment_claimed_at timestamptz
);

create index checkout_sessions_by_merchant on checkout_sessions (merchant_id, created_at);
