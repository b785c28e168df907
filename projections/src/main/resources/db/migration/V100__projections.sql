-- Read models (projections) of the event log. Their tables are versioned by generation
-- (transactions_g1, transactions_g2, ...): a rebuild fills a new generation from position zero
-- while the active one keeps answering, then swaps. Those tables are created by the projector
-- itself (dev.ledgerflow.projections.projector), from the one definition it also applies; this
-- migration creates what keeps track of them.

-- Which generation of each projection answers reads ('active', at most one), which one is being
-- rebuilt ('building', at most one), and which ones were replaced ('retired'; their tables are
-- dropped after a grace period, so reads that started on them still finish).
create table projection_generations (
    projection   text        not null,
    generation   int         not null check (generation >= 1),
    status       text        not null check (status in ('building', 'active', 'retired')),
    indexed      boolean     not null default false,
    created_at   timestamptz not null default now(),
    activated_at timestamptz,
    retired_at   timestamptz,
    dropped_at   timestamptz,
    primary key (projection, generation)
);

create unique index projection_generations_one_active on projection_generations (projection) where status = 'active';
create unique index projection_generations_one_building on projection_generations (projection) where status = 'building';

-- Where each generation of each projection has got to in the feed: the (txid, position) of the
-- last event applied, written in the same transaction as the rows that event produced.
create table projection_checkpoints (
    projection       text        not null,
    generation       int         not null,
    txid             bigint      not null check (txid >= 0),
    position         bigint      not null check (position >= 0),
    last_recorded_at timestamptz,
    events_applied   bigint      not null default 0,
    updated_at       timestamptz not null default now(),
    primary key (projection, generation),
    foreign key (projection, generation) references projection_generations on delete cascade
);

-- A merchant's events in feed order: GET /v1/events?after= and the replay of the SSE feed.
create index events_merchant_feed on events ((metadata ->> 'merchant'), txid, position);
