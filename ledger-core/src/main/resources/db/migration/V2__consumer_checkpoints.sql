-- Where each in-process consumer of the feed (payment processor, projectors, webhook dispatcher,
-- Kafka relay) has got to: the (txid, position) of the last event it finished, in feed order.
-- A consumer resumes after it, so a crash re-handles at most what followed the last save.

create table consumer_checkpoints (
    name       text        primary key,
    txid       bigint      not null check (txid >= 0),
    position   bigint      not null check (position >= 0),
    updated_at timestamptz not null default now()
);
