-- Webhook endpoints, deliveries and their attempts. PostgreSQL is the source of truth; the Redis
-- stream is only the work queue, refilled from here whenever it is lost.

create table webhook_endpoints (
    id                         text        primary key,
    merchant_id                text        not null,
    url                        text        not null,
    description                text,
    -- public event types, or '*' for all of them
    event_types                text[]      not null,
    status                     text        not null check (status in ('enabled', 'disabled')),
    disabled_reason            text,
    -- whsec_ + base64 of the HMAC key: kept in clear because signing needs it
    secret                     text        not null,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now(),
    deleted_at                 timestamptz
);

create index webhook_endpoints_by_merchant on webhook_endpoints (merchant_id, created_at)
    where deleted_at is null;

create table webhook_deliveries (
    -- the list order and the cursor of starting_after
    seq              bigint      generated always as identity unique,
    -- wd_ + a hash of (event, endpoint): a replayed dispatch finds the same row
    id               text        primary key,
    endpoint_id      text        not null references webhook_endpoints (id),
    merchant_id      text        not null,
    event_id         uuid        not null,
    event_position   bigint      not null,
    event_type       text        not null,
    status           text        not null check (status in ('pending', 'succeeded', 'failed', 'dead')),
    -- every attempt ever made …
    attempts         int         not null default 0 check (attempts >= 0),
    -- … and those since the schedule last (re)started: a manual retry or a replay starts it over
    round_attempts   int         not null default 0 check (round_attempts >= 0),
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    last_status_code int,
    last_error       text,
    -- when it was last put on the stream; null when it is not known to be there
    enqueued_at      timestamptz,
    -- an attempt in flight holds the delivery until then (the visibility timeout)
    locked_until     timestamptz,
    lock_token       uuid,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint webhook_deliveries_event_endpoint_key unique (event_id, endpoint_id),
    constraint webhook_deliveries_due_when_open
        check ((status in ('pending', 'failed')) = (next_attempt_at is not null))
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at)
    where status in ('pending', 'failed');
create index webhook_deliveries_dead on webhook_deliveries (seq) where status = 'dead';
create index webhook_deliveries_by_merchant on webhook_deliveries (merchant_id, seq);
create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id, event_position);

create table webhook_attempts (
    id            bigint      generated always as identity primary key,
    delivery_id   text        not null references webhook_deliveries (id),
    attempt       int         not null,
    started_at    timestamptz not null,
    duration_ms   int         not null check (duration_ms >= 0),
    status_code   int,
    error         text,
    -- the first KiB of the receiver's answer, for debugging
    response_body text
);

create index webhook_attempts_by_delivery on webhook_attempts (delivery_id, id);

-- The id of the delivery of one event to one endpoint: the same inputs always give the same id, so
-- the dispatcher handing an event over again after a crash finds the delivery it already made.
create function webhook_delivery_id(event_id uuid, endpoint_id text) returns text
    language sql immutable strict
as $$
    select 'wd_' || substr(encode(sha256(convert_to(event_id::text || ':' || endpoint_id, 'UTF8')), 'hex'), 1, 26)
$$;
