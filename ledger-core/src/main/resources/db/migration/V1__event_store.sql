-- The event store: one append-only log of immutable events, the stream versions that guard it,
-- the inline account balances that guard overdrafts, and the idempotency keys, all written by
-- one function in one transaction per batch of commands (group commit).

create table events (
    position       bigint generated always as identity primary key,
    stream_id      text        not null,
    stream_version bigint      not null,
    event_id       uuid        not null,
    type           text        not null,
    payload        jsonb       not null,
    metadata       jsonb       not null default '{}'::jsonb,
    recorded_at    timestamptz not null default now(),
    txid           xid8        not null default pg_current_xact_id(),
    constraint events_event_id_key unique (event_id),
    constraint events_stream_version_key unique (stream_id, stream_version),
    constraint events_stream_version_positive check (stream_version >= 1)
);

-- The gap-free feed reads in (txid, position) order, below the oldest running transaction.
create index events_feed_order on events (txid, position);

create table streams (
    stream_id text   primary key,
    version   bigint not null check (version >= 0)
);

create table account_balances (
    account_id      text    primary key,
    currency        char(3) not null,
    merchant_id     text,
    posted          bigint  not null default 0,
    pending         bigint  not null default 0 check (pending >= 0),
    overdraft_limit bigint  not null default 0 check (overdraft_limit >= 0),
    guarded         boolean not null,
    -- A guarded account never has less than nothing available.
    constraint account_balances_not_overdrawn check (not guarded or posted - pending + overdraft_limit >= 0)
);

create table idempotency_keys (
    scope           text        not null,
    key             text        not null,
    fingerprint     text        not null,
    response_status int         not null,
    response_body   text        not null,
    position        bigint      not null default 0,
    created_at      timestamptz not null default now(),
    expires_at      timestamptz not null,
    primary key (scope, key)
);

create index idempotency_keys_expiry on idempotency_keys (expires_at);

-- Appends a batch of commands in order, each as if it ran alone: a command whose stream version,
-- balance guard or idempotency key rejects it writes nothing and the next one goes on. One call is
-- one transaction and one WAL flush for the whole batch.
--
-- A command: { "stream", "expected" (-1 no stream, -2 any, n exactly), "events": [ { "id", "type",
--   "payload", "metadata" } ], "changes": [ { "account", "currency", "posted", "pending", "system" } ],
--   "open": [ { "account", "currency", "merchant", "overdraft_limit" } ],
--   "idempotency": { "scope", "key", "fingerprint", "status", "body", "ttl_seconds" } }
create function ledger_append_batch(batch jsonb)
    returns table (
        idx             int,
        outcome         text,
        detail          text,
        first_position  bigint,
        last_position   bigint,
        stream_version  bigint,
        response_status int,
        response_body   text,
        fingerprint     text)
    language plpgsql
as $$
declare
    cmd          jsonb;
    i            int := -1;
    sid          text;
    expected     bigint;
    cur_version  bigint;
    idem         jsonb;
    idem_taken   boolean;
    existing     record;
    chg          record;
    bal          record;
    rejection    text;
    rejected_acc text;
    avail_before bigint;
    avail_after  bigint;
    first_pos    bigint;
    last_pos     bigint;
    n_events     int;
    dup_version  bigint;
    has_changes  boolean;
    keyed_rows   bigint;
begin
    for cmd in select value from jsonb_array_elements(batch) loop
        i := i + 1;
        sid := cmd ->> 'stream';
        expected := (cmd ->> 'expected')::bigint;
        idem := cmd -> 'idempotency';
        idem_taken := false;
        rejection := null;

        -- 1. The idempotency key: answer with what is stored for it, or remember to store it with the
        --    events (step 4). A key taken meanwhile by a concurrent transaction fails the batch as a
        --    serialisation failure: the writer retries it and then finds the stored answer here.
        if idem is not null and jsonb_typeof(idem) = 'object' then
            select k.* into existing from idempotency_keys k
             where k.scope = idem ->> 'scope' and k.key = idem ->> 'key';
            if found then
                if existing.expires_at > now() then
                    return query select i, 'replay'::text, null::text, existing.position, existing.position,
                                        null::bigint, existing.response_status, existing.response_body,
                                        existing.fingerprint;
                    continue;
                end if;
                delete from idempotency_keys k where k.scope = idem ->> 'scope' and k.key = idem ->> 'key';
            end if;
            idem_taken := true;
        end if;

        -- 2. The stream version. The row lock serialises writers of one stream until commit.
        -- A new stream's row is created (and locked) by the insert; an existing one is locked by the select.
        insert into streams as s (stream_id, version) values (sid, 0) on conflict do nothing returning s.version into cur_version;
        if not found then
            select s.version into cur_version from streams s where s.stream_id = sid for update;
        end if;
        if (expected = -1 and cur_version <> 0) or (expected >= 0 and cur_version <> expected) then
            -- A retried append that already committed is "already done", not a conflict.
            select min(e.position), max(e.position), max(e.stream_version) into first_pos, last_pos, dup_version
              from events e
             where e.event_id in (select (x ->> 'id')::uuid from jsonb_array_elements(cmd -> 'events') x);
            if first_pos is not null then
                return query select i, 'ok'::text, 'duplicate'::text, first_pos, last_pos, dup_version,
                                    null::int, null::text, null::text;
            else
                return query select i, 'conflict'::text, cur_version::text, null::bigint, null::bigint,
                                    cur_version, null::int, null::text, null::text;
            end if;
            continue;
        end if;

        -- 3. The balance guard, per account (locked in id order), on the net change of this command.
        has_changes := cmd ? 'changes';
        for chg in
            select c ->> 'account' as account, max(c ->> 'currency') as currency,
                   sum((c ->> 'posted')::bigint) as posted, sum((c ->> 'pending')::bigint) as pending,
                   bool_or(coalesce((c ->> 'system')::boolean, false)) as system
              from jsonb_array_elements(case when has_changes then cmd -> 'changes' else '[]'::jsonb end) c
             group by c ->> 'account'
             order by c ->> 'account'
        loop
            if chg.system then
                insert into account_balances (account_id, currency, guarded)
                values (chg.account, chg.currency, false) on conflict do nothing;
            end if;
            select b.* into bal from account_balances b where b.account_id = chg.account for update;
            if not found then
                rejection := 'unknown_account'; rejected_acc := chg.account; exit;
            end if;
            if bal.currency <> chg.currency then
                rejection := 'currency_mismatch'; rejected_acc := chg.account; exit;
            end if;
            if bal.pending + chg.pending < 0 then
                raise exception 'pending balance of % would become negative', chg.account;
            end if;
            if bal.guarded then
                avail_before := bal.posted - bal.pending + bal.overdraft_limit;
                avail_after := (bal.posted + chg.posted) - (bal.pending + chg.pending) + bal.overdraft_limit;
                if avail_after < 0 and avail_after < avail_before then
                    rejection := 'insufficient_funds'; rejected_acc := chg.account; exit;
                end if;
            end if;
        end loop;
        if rejection is not null then
            return query select i, rejection, rejected_acc, null::bigint, null::bigint, null::bigint,
                                null::int, null::text, null::text;
            continue;
        end if;

        -- 4. Everything checked: write (few statements: each one costs, and this runs per command).
        if cmd ? 'open' then
            insert into account_balances (account_id, currency, merchant_id, overdraft_limit, guarded)
            select o ->> 'account', o ->> 'currency', o ->> 'merchant', coalesce((o ->> 'overdraft_limit')::bigint, 0), true
              from jsonb_array_elements(cmd -> 'open') o;
        end if;

        if has_changes then
            update account_balances b
               set posted = b.posted + x.posted, pending = b.pending + x.pending
              from (select c ->> 'account' as account, sum((c ->> 'posted')::bigint) as posted,
                           sum((c ->> 'pending')::bigint) as pending
                      from jsonb_array_elements(cmd -> 'changes') c
                     group by c ->> 'account') x
             where b.account_id = x.account;
        end if;

        -- The events, the stream's new version and the idempotency key's position, in one statement.
        with inserted as (
            insert into events (stream_id, stream_version, event_id, type, payload, metadata)
            select sid, cur_version + e.ord, (e.value ->> 'id')::uuid, e.value ->> 'type', e.value -> 'payload',
                   coalesce(e.value -> 'metadata', '{}'::jsonb)
              from jsonb_array_elements(cmd -> 'events') with ordinality as e(value, ord)
             order by e.ord
            returning events.position),
        bounds as (select min(position) as lo, max(position) as hi, count(*)::int as n from inserted),
        bumped as (
            update streams s set version = cur_version + (select n from bounds) where s.stream_id = sid),
        keyed as (
            insert into idempotency_keys (scope, key, fingerprint, response_status, response_body, position, expires_at)
            select idem ->> 'scope', idem ->> 'key', idem ->> 'fingerprint', (idem ->> 'status')::int, idem ->> 'body',
                   (select hi from bounds), now() + make_interval(secs => (idem ->> 'ttl_seconds')::double precision)
             where idem_taken
            on conflict do nothing
            returning 1)
        select b.lo, b.hi, b.n, (select count(*) from keyed) into first_pos, last_pos, n_events, keyed_rows from bounds b;
        if idem_taken and keyed_rows = 0 then
            raise exception 'idempotency key % was taken by a concurrent transaction', idem ->> 'key'
                using errcode = '40001';
        end if;

        return query select i, 'ok'::text, null::text, first_pos, last_pos, cur_version + n_events,
                            null::int, null::text, null::text;
    end loop;

    -- Wake every subscriber once the batch commits (notifications are delivered at commit).
    perform pg_notify('ledger_events', '');
end
$$;
