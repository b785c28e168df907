-- A tamper-evident log: every event carries a hash chained over the event before it in the global
-- log, hash = sha256(previous hash || the event's canonical bytes), computed inside the append.
--
-- The canonical bytes of an event (ledger_event_bytes) are the UTF-8 text of the JSON array
--   [position, stream_id, stream_version, event_id, type, payload, metadata, recorded_at in µs since 1970]
-- in PostgreSQL's jsonb text form (keys ordered, one space after ':' and ','), as stored. The first
-- event's previous hash is 32 zero bytes.
--
-- Order: positions come from a sequence, and several batches may be in flight. The append locks the
-- single row of log_chain_head before it draws any position and keeps it until commit, so batches
-- extend the chain one after the other and the chain's order is exactly the order of positions. A
-- batch that rolls back leaves a gap in the positions but not in the chain (the next event chains on
-- the last committed one). The cost is one row lock and one more statement per batch, and batches
-- that would otherwise commit at once take turns from their first insert to their commit.
--
-- Events appended before this migration are chained here, in position order (a one-off pass over the
-- log, with appends held off by the table lock meanwhile), so the chain starts at the first event.

create function ledger_event_bytes(p_stream_id text, p_stream_version bigint, p_event_id uuid, p_type text,
                                   p_payload jsonb, p_metadata jsonb, p_recorded_at timestamptz, p_position bigint)
    returns bytea
    language sql
    stable
    parallel safe
as $$
    select convert_to(jsonb_build_array(p_position, p_stream_id, p_stream_version, p_event_id, p_type, p_payload,
                                        p_metadata, (extract(epoch from p_recorded_at) * 1000000)::bigint)::text, 'UTF8')
$$;

lock table events in exclusive mode;

alter table events add column hash bytea;

-- The chain's head: the last event chained and its hash (position 0 and zero bytes before the first).
create table log_chain_head (
    id       boolean primary key default true check (id),
    position bigint  not null,
    hash     bytea   not null check (length(hash) = 32)
);

do $$
declare
    h bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    p bigint := 0;
    e record;
begin
    for e in select * from events order by position loop
        h := sha256(h || ledger_event_bytes(e.stream_id, e.stream_version, e.event_id, e.type, e.payload, e.metadata,
                                            e.recorded_at, e.position));
        p := e.position;
        update events set hash = h where position = e.position;
    end loop;
    insert into log_chain_head (id, position, hash) values (true, p, h);
end
$$;

-- The append of V3, with the chain: the head locked before positions are drawn, every event's
-- position and hash computed in memory, then one statement inserts the events and moves the head.
create or replace function ledger_append_batch(batch jsonb)
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
    -- The statements below take arrays whose length varies from batch to batch; their plans do not
    -- depend on it, and planning them again on every call would cost more than the small batches
    -- of a quiet ledger spend executing them.
    -- Every statement on a table reaches its rows through an index whatever the plan's row estimates
    -- (= any (array), on conflict, a lateral lookup), so a generic plan never scans a whole table.
    set plan_cache_mode = force_generic_plan
as $$
declare
    n            int;
    -- Per command i (1-based: element i - 1 of the document).
    c_sid        text[];
    c_changes    jsonb[];
    c_evs        jsonb[];   -- its events
    c_idem       jsonb[];   -- its idempotency record, null without one
    c_open       jsonb[];
    has_accounts boolean;
    c_stream     int[];     -- rank of its stream in s_id
    c_expected   bigint[];  -- -1 no stream, -2 any, else the version
    c_events     int[];
    c_key        int[];     -- rank of its idempotency key in k_scope/k_key, null without one
    c_chg_lo     int[];     -- its balance changes are ch_*[lo .. hi]
    c_chg_hi     int[];
    c_open_lo    int[];     -- its openings are op_*[lo .. hi]
    c_open_hi    int[];
    -- Streams by rank (id order).
    s_id         text[];
    s_version    bigint[];
    s_version0   bigint[];
    -- Accounts by rank (id order).
    a_id         text[];
    a_system     boolean[];
    a_sys_cur    text[];
    a_exists     boolean[];
    a_existed    boolean[];
    a_currency   text[];
    a_merchant   text[];
    a_posted     bigint[];
    a_pending    bigint[];
    a_posted0    bigint[];
    a_pending0   bigint[];
    a_limit      bigint[];
    a_guarded    boolean[];
    -- Balance changes, net per command and account, in (command, account id) order.
    ch_cmd       int[];
    ch_acc       int[];
    ch_currency  text[];
    ch_posted    bigint[];
    ch_pending   bigint[];
    -- Accounts opened, in (command, order given) order.
    op_cmd       int[];
    op_acc       int[];
    op_currency  text[];
    op_merchant  text[];
    op_limit     bigint[];
    -- Idempotency keys by rank ((scope, key) order).
    k_scope      text[];
    k_key        text[];
    k_stored     boolean[]; -- stored and not expired: a replay
    k_fp         text[];
    k_status     int[];
    k_body       text[];
    k_position   bigint[];
    k_owner      int[];     -- the accepted command of this batch that takes the key
    -- Outcomes per command.
    r_outcome    text[];
    r_detail     text[];
    r_first      bigint[];
    r_last       bigint[];
    r_version    bigint[];
    r_status     int[];
    r_body       text[];
    r_fp         text[];
    r_same_as    int[];     -- an in-batch replay or duplicate answers as this earlier command
    -- Accepted commands, in batch order.
    acc_cmd      int[] := '{}';
    acc_sid      text[] := '{}';
    acc_base     bigint[] := '{}';
    acc_top      bigint[] := '{}';
    -- Scratch.
    i            int;
    j            int;
    a            int;
    s            int;
    k            int;
    cur          bigint;
    v_expected   bigint;
    rejection    text;
    rejected_acc text;
    avail_before bigint;
    avail_after  bigint;
    dup_first    bigint;
    dup_last     bigint;
    dup_version  bigint;
    w_i          int[];
    w_lo         bigint[];
    w_hi         bigint[];
    w_text       text[];
    w_text2      text[];
    w_text3      text[];
    w_big        bigint[];
    w_big2       bigint[];
    w_big3       bigint[];
    keyed_rows   int;
    -- The events accepted, by position (the chain's order).
    e_n          int := 0;
    e_pos        bigint[];
    e_sid        text[];
    e_version    bigint[];
    e_id         uuid[];
    e_type       text[];
    e_payload    jsonb[];
    e_meta       jsonb[];
    e_hash       bytea[];
    e_at         timestamptz;
    e_prev       bytea;
    ev           jsonb;
begin
    -- 1. Parse. jsonb_to_recordset reads each command's fields in one pass; the aggregates of one
    -- scan share one sort order, so PostgreSQL sorts once per scan.
    select count(*)::int,
           array_agg(c.stream order by c.ord), array_agg(c.sr order by c.ord),
           array_agg(c.expected order by c.ord), array_agg(jsonb_array_length(c.events) order by c.ord),
           array_agg(c.kr order by c.ord), array_agg(c.scope order by c.ord), array_agg(c.key order by c.ord),
           array_agg(c.changes order by c.ord), array_agg(c.open order by c.ord),
           array_agg(c.events order by c.ord), array_agg(c.idem order by c.ord),
           coalesce(bool_or(c.changes is not null or c.open is not null), false)
      into n, c_sid, c_stream, c_expected, c_events, c_key, w_text, w_text2, c_changes, c_open, c_evs, c_idem,
           has_accounts
      from (select r.ord, r.stream, r.expected, r.events, r.changes, r.open, r.idem, r.scope, r.key,
                   dense_rank() over (order by r.stream)::int as sr,
                   case when r.key is not null
                        then dense_rank() over (partition by r.key is null order by r.scope, r.key)::int end as kr
              from (select f.ord, f.stream, f.expected, f.events, f.changes, f.open,
                           case when jsonb_typeof(f.idempotency) = 'object' then f.idempotency end as idem,
                           case when jsonb_typeof(f.idempotency) = 'object' then f.idempotency ->> 'scope' end as scope,
                           case when jsonb_typeof(f.idempotency) = 'object' then f.idempotency ->> 'key' end as key
                      from rows from (jsonb_to_recordset(batch)
                               as (stream text, expected bigint, events jsonb, changes jsonb, open jsonb, idempotency jsonb))
                           with ordinality f(stream, expected, events, changes, open, idempotency, ord)) r) c;

    if n = 0 then
        return;
    end if;
    -- Per-command arrays span 1 .. n from the start (assigning element 5 of a null array would
    -- make an array whose first subscript is 5).
    c_chg_lo := array_fill(null::int, array[n]);
    c_chg_hi := c_chg_lo;
    c_open_lo := c_chg_lo;
    c_open_hi := c_chg_lo;
    r_same_as := c_chg_lo;
    r_status := c_chg_lo;
    r_outcome := array_fill(null::text, array[n]);
    r_detail := r_outcome;
    r_body := r_outcome;
    r_fp := r_outcome;
    r_first := array_fill(null::bigint, array[n]);
    r_last := r_first;
    r_version := r_first;
    for i in 1 .. n loop
        s_id[c_stream[i]] := c_sid[i];
        if c_key[i] is not null then
            k_scope[c_key[i]] := w_text[i];
            k_key[c_key[i]] := w_text2[i];
        end if;
    end loop;

    -- The balance changes (net per command and account) and openings, accounts ranked in id order.
    if has_accounts then
        with chg as (
            select u.i::int as i, x.account as acc, max(x.currency) as cur, sum(x.posted)::bigint as posted,
                   sum(x.pending)::bigint as pending, bool_or(coalesce(x.system, false)) as sys
              from unnest(c_changes) with ordinality u(changes, i)
             cross join lateral jsonb_to_recordset(u.changes)
                   as x(account text, currency text, posted bigint, pending bigint, system boolean)
             group by u.i, x.account),
        opn as (
            select u.i::int as i, o.ord, o.account as acc, o.currency as cur, o.merchant as mer,
                   coalesce(o.overdraft_limit, 0) as lim
              from unnest(c_open) with ordinality u(open, i)
             cross join lateral rows from (jsonb_to_recordset(u.open)
                   as (account text, currency text, merchant text, overdraft_limit bigint))
                   with ordinality o(account, currency, merchant, overdraft_limit, ord)),
        acc as (
            select u.acc, dense_rank() over (order by u.acc)::int as r, bool_or(u.sys) as sys, max(u.cur) as cur
              from (select chg.acc, chg.sys, case when chg.sys then chg.cur end as cur from chg
                    union all select opn.acc, false, null from opn) u
             group by u.acc)
        select a1.ids, a1.sys, a1.cur, a2.cmd, a2.acc, a2.cur, a2.posted, a2.pending,
               a3.cmd, a3.acc, a3.cur, a3.mer, a3.lim
          into a_id, a_system, a_sys_cur, ch_cmd, ch_acc, ch_currency, ch_posted, ch_pending,
               op_cmd, op_acc, op_currency, op_merchant, op_limit
          from (select array_agg(acc.acc order by acc.r) as ids, array_agg(acc.sys order by acc.r) as sys,
                       array_agg(acc.cur order by acc.r) as cur
                  from acc) a1,
               (select array_agg(chg.i order by chg.i, chg.acc) as cmd, array_agg(acc.r order by chg.i, chg.acc) as acc,
                       array_agg(chg.cur order by chg.i, chg.acc) as cur,
                       array_agg(chg.posted order by chg.i, chg.acc) as posted,
                       array_agg(chg.pending order by chg.i, chg.acc) as pending
                  from chg join acc using (acc)) a2,
               (select array_agg(opn.i order by opn.i, opn.ord) as cmd, array_agg(acc.r order by opn.i, opn.ord) as acc,
                       array_agg(opn.cur order by opn.i, opn.ord) as cur, array_agg(opn.mer order by opn.i, opn.ord) as mer,
                       array_agg(opn.lim order by opn.i, opn.ord) as lim
                  from opn join acc using (acc)) a3;
    end if;
    for j in 1 .. coalesce(array_length(ch_cmd, 1), 0) loop
        if c_chg_lo[ch_cmd[j]] is null then
            c_chg_lo[ch_cmd[j]] := j;
        end if;
        c_chg_hi[ch_cmd[j]] := j;
    end loop;
    for j in 1 .. coalesce(array_length(op_cmd, 1), 0) loop
        if c_open_lo[op_cmd[j]] is null then
            c_open_lo[op_cmd[j]] := j;
        end if;
        c_open_hi[op_cmd[j]] := j;
    end loop;

    -- 2. Prefetch. Idempotency keys first: reading them takes no lock.
    if k_scope is not null then
        k_owner := array_fill(null::int, array[array_length(k_scope, 1)]);
        select array_agg(x.is_stored order by x.r), array_agg(x.fingerprint order by x.r),
               array_agg(x.response_status order by x.r), array_agg(x.response_body order by x.r),
               array_agg(x.position order by x.r)
          into k_stored, k_fp, k_status, k_body, k_position
          from (select u.r, coalesce(ik.is_stored, false) as is_stored, ik.fingerprint, ik.response_status,
                       ik.response_body, ik.position
                  from unnest(k_scope, k_key) with ordinality u(scope, key, r)
                  left join lateral (
                      select ks.expires_at > now() as is_stored, ks.fingerprint, ks.response_status, ks.response_body, ks.position
                        from idempotency_keys ks where ks.scope = u.scope and ks.key = u.key limit 1) ik on true) x;
    end if;

    -- The streams, created at version 0 if new, locked in id order; the no-op update locks an
    -- existing row and returns its version in the same statement.
    with locked as (
        insert into streams as st (stream_id, version)
        select u.id, 0 from unnest(s_id) with ordinality u(id, r) order by u.r
        on conflict (stream_id) do update set version = st.version
        returning st.stream_id, st.version)
    select array_agg(l.version order by u.r) into s_version
      from unnest(s_id) with ordinality u(id, r) join locked l on l.stream_id = u.id;
    s_version0 := s_version;

    if a_id is not null then
        -- System accounts exist before they are locked: the ones this batch uses for the first time
        -- are created here, in id order, once; for the others on conflict is an index probe that
        -- writes nothing.
        if true = any(a_system) then
            insert into account_balances (account_id, currency, guarded)
            select u.id, u.cur, false
              from unnest(a_id, a_system, a_sys_cur) with ordinality u(id, sys, cur, r)
             where u.sys
             order by u.r
            on conflict do nothing;
        end if;

        -- Every account the batch touches, locked in id order, read into arrays by rank.
        select array_agg(b.account_id is not null order by u.r), array_agg(b.currency::text order by u.r),
               array_agg(b.merchant_id order by u.r), array_agg(b.posted order by u.r),
               array_agg(b.pending order by u.r), array_agg(b.overdraft_limit order by u.r),
               array_agg(b.guarded order by u.r)
          into a_exists, a_currency, a_merchant, a_posted, a_pending, a_limit, a_guarded
          from unnest(a_id) with ordinality u(id, r)
          left join (select x.account_id, x.currency, x.merchant_id, x.posted, x.pending, x.overdraft_limit, x.guarded
                       from account_balances x where x.account_id = any(a_id)
                      order by x.account_id for update) b on b.account_id = u.id;
        a_existed := a_exists;
        a_posted0 := a_posted;
        a_pending0 := a_pending;
    end if;

    -- 3. Decide, in batch order, against the arrays.
    for i in 1 .. n loop
        -- The idempotency key: what is stored for it answers, and so does an earlier command of
        -- this batch that took it.
        k := c_key[i];
        if k is not null then
            if k_stored[k] then
                r_outcome[i] := 'replay';
                r_first[i] := k_position[k];
                r_last[i] := k_position[k];
                r_status[i] := k_status[k];
                r_body[i] := k_body[k];
                r_fp[i] := k_fp[k];
                continue;
            end if;
            if k_owner[k] is not null then
                r_outcome[i] := 'replay';
                r_same_as[i] := k_owner[k];
                continue;
            end if;
        end if;

        -- The stream version.
        s := c_stream[i];
        cur := s_version[s];
        v_expected := c_expected[i];
        if (v_expected = -1 and cur <> 0) or (v_expected >= 0 and cur <> v_expected) then
            -- A retried append that already committed (or was accepted earlier in this batch) is
            -- "already done", not a conflict. Only stale appends pay for this look-up.
            select min(e.position), max(e.position), max(e.stream_version) into dup_first, dup_last, dup_version
              from events e
             where e.event_id = any (array(select (x ->> 'id')::uuid from jsonb_array_elements(c_evs[i]) x));
            if dup_first is not null then
                r_outcome[i] := 'ok';
                r_detail[i] := 'duplicate';
                r_first[i] := dup_first;
                r_last[i] := dup_last;
                r_version[i] := dup_version;
                continue;
            end if;
            for j in 1 .. i - 1 loop
                if c_stream[j] = s and r_outcome[j] = 'ok' and r_detail[j] is null and exists (
                        select 1
                          from jsonb_array_elements(c_evs[i]) x
                          join jsonb_array_elements(c_evs[j]) y on y ->> 'id' = x ->> 'id') then
                    r_same_as[i] := j;
                    exit;
                end if;
            end loop;
            if r_same_as[i] is not null then
                r_outcome[i] := 'ok';
                r_detail[i] := 'duplicate';
            else
                r_outcome[i] := 'conflict';
                r_detail[i] := cur::text;
                r_version[i] := cur;
            end if;
            continue;
        end if;

        -- The balance guard, per account in id order, on the net change of this command.
        rejection := null;
        if c_chg_lo[i] is not null then
            for j in c_chg_lo[i] .. c_chg_hi[i] loop
                a := ch_acc[j];
                if not a_exists[a] then
                    rejection := 'unknown_account'; rejected_acc := a_id[a]; exit;
                end if;
                if a_currency[a] <> ch_currency[j] then
                    rejection := 'currency_mismatch'; rejected_acc := a_id[a]; exit;
                end if;
                if a_pending[a] + ch_pending[j] < 0 then
                    raise exception 'pending balance of % would become negative', a_id[a];
                end if;
                if a_guarded[a] then
                    avail_before := a_posted[a] - a_pending[a] + a_limit[a];
                    avail_after := (a_posted[a] + ch_posted[j]) - (a_pending[a] + ch_pending[j]) + a_limit[a];
                    if avail_after < 0 and avail_after < avail_before then
                        rejection := 'insufficient_funds'; rejected_acc := a_id[a]; exit;
                    end if;
                end if;
            end loop;
        end if;
        if rejection is not null then
            r_outcome[i] := rejection;
            r_detail[i] := rejected_acc;
            continue;
        end if;

        -- Accepted: its effects are what later commands of the batch see.
        if c_chg_lo[i] is not null then
            for j in c_chg_lo[i] .. c_chg_hi[i] loop
                a := ch_acc[j];
                a_posted[a] := a_posted[a] + ch_posted[j];
                a_pending[a] := a_pending[a] + ch_pending[j];
            end loop;
        end if;
        if c_open_lo[i] is not null then
            for j in c_open_lo[i] .. c_open_hi[i] loop
                a := op_acc[j];
                if a_exists[a] then
                    raise exception 'account % already exists', a_id[a] using errcode = '23505';
                end if;
                a_exists[a] := true;
                a_currency[a] := op_currency[j];
                a_merchant[a] := op_merchant[j];
                a_posted[a] := 0;
                a_pending[a] := 0;
                a_limit[a] := op_limit[j];
                a_guarded[a] := true;
            end loop;
        end if;
        r_outcome[i] := 'ok';
        r_version[i] := cur + c_events[i];
        s_version[s] := cur + c_events[i];
        acc_cmd := acc_cmd || i;
        acc_sid := acc_sid || s_id[s];
        acc_base := acc_base || cur;
        acc_top := acc_top || (cur + c_events[i]);
        if k is not null then
            k_owner[k] := i;
        end if;
    end loop;

    -- 4. Commit, set-based.
    if array_length(acc_cmd, 1) > 0 then
        -- The chain head, locked until commit, before any position is drawn: a batch draws its
        -- positions and extends the chain only after the batch before it has committed (or rolled
        -- back), so the chain's order is the order of positions whatever runs at once. One row lock
        -- per batch, held only from here to the commit.
        select h.hash into e_prev from log_chain_head h where h.id for update;
        e_at := now();
        -- Every event's position and hash, in batch order, then event order (plain expressions,
        -- no statement): hash = sha256(previous hash || the event's canonical bytes).
        for j in 1 .. array_length(acc_cmd, 1) loop
            i := acc_cmd[j];
            for o in 0 .. jsonb_array_length(c_evs[i]) - 1 loop
                ev := c_evs[i] -> o;
                e_n := e_n + 1;
                e_pos[e_n] := nextval('events_position_seq');
                e_sid[e_n] := acc_sid[j];
                e_version[e_n] := acc_base[j] + o + 1;
                e_id[e_n] := (ev ->> 'id')::uuid;
                e_type[e_n] := ev ->> 'type';
                e_payload[e_n] := ev -> 'payload';
                e_meta[e_n] := coalesce(ev -> 'metadata', '{}'::jsonb);
                e_prev := sha256(e_prev || ledger_event_bytes(e_sid[e_n], e_version[e_n], e_id[e_n], e_type[e_n],
                                                             e_payload[e_n], e_meta[e_n], e_at, e_pos[e_n]));
                e_hash[e_n] := e_prev;
                if o = 0 then
                    r_first[i] := e_pos[e_n];
                end if;
                r_last[i] := e_pos[e_n];
            end loop;
        end loop;

        -- Every event of the batch and the chain's new head in one statement.
        if e_n > 0 then
            with moved as (
                update log_chain_head h set position = e_pos[e_n], hash = e_prev where h.id)
            insert into events (position, stream_id, stream_version, event_id, type, payload, metadata, recorded_at, hash)
                overriding system value
            select u.pos, u.sid, u.version, u.id, u.type, u.payload, u.meta, e_at, u.hash
              from unnest(e_pos, e_sid, e_version, e_id, e_type, e_payload, e_meta, e_hash)
                   u(pos, sid, version, id, type, payload, meta, hash);
        end if;

        -- The streams' new versions, one update.
        w_text := '{}';
        w_big := '{}';
        for s in 1 .. array_length(s_id, 1) loop
            if s_version[s] <> s_version0[s] then
                w_text := w_text || s_id[s];
                w_big := w_big || s_version[s];
            end if;
        end loop;
        if array_length(w_text, 1) > 0 then
            update streams st set version = u.version
              from unnest(w_text, w_big) u(id, version)
             where st.stream_id = u.id and st.stream_id = any (w_text);
        end if;

        if a_id is not null then
            -- The accounts opened, with what the batch did to them since, in one insert.
            w_text := '{}';
            w_text2 := '{}';
            w_text3 := '{}';
            w_big := '{}';
            w_big2 := '{}';
            w_big3 := '{}';
            for a in 1 .. array_length(a_id, 1) loop
                if a_exists[a] and not a_existed[a] then
                    w_text := w_text || a_id[a];
                    w_text2 := w_text2 || a_currency[a];
                    w_text3 := w_text3 || a_merchant[a];
                    w_big := w_big || a_posted[a];
                    w_big2 := w_big2 || a_pending[a];
                    w_big3 := w_big3 || a_limit[a];
                end if;
            end loop;
            if array_length(w_text, 1) > 0 then
                insert into account_balances (account_id, currency, merchant_id, posted, pending, overdraft_limit, guarded)
                select u.id, u.cur, u.mer, u.posted, u.pending, u.lim, true
                  from unnest(w_text, w_text2, w_text3, w_big, w_big2, w_big3) u(id, cur, mer, posted, pending, lim)
                 order by u.id;
            end if;

            -- One net balance change per account that existed before the batch.
            w_text := '{}';
            w_big := '{}';
            w_big2 := '{}';
            for a in 1 .. array_length(a_id, 1) loop
                if a_existed[a] and (a_posted[a] <> a_posted0[a] or a_pending[a] <> a_pending0[a]) then
                    w_text := w_text || a_id[a];
                    w_big := w_big || (a_posted[a] - a_posted0[a]);
                    w_big2 := w_big2 || (a_pending[a] - a_pending0[a]);
                end if;
            end loop;
            if array_length(w_text, 1) > 0 then
                update account_balances b
                   set posted = b.posted + u.posted, pending = b.pending + u.pending
                  from unnest(w_text, w_big, w_big2) u(id, posted, pending)
                 where b.account_id = u.id and b.account_id = any (w_text);
            end if;
        end if;

        -- The idempotency keys taken, in (scope, key) order, with the last position of their
        -- command; an expired row is replaced. A key stored meanwhile by a concurrent transaction
        -- fails the batch as a serialisation failure: the writer retries it and then finds the
        -- stored answer.
        if k_scope is not null then
            w_i := '{}';
            w_big := '{}';
            for k in 1 .. array_length(k_scope, 1) loop
                if k_owner[k] is not null then
                    w_i := w_i || k_owner[k];
                    w_big := w_big || r_last[k_owner[k]];
                end if;
            end loop;
            if array_length(w_i, 1) > 0 then
                with ins as (
                    insert into idempotency_keys as ik
                        (scope, key, fingerprint, response_status, response_body, position, expires_at)
                    select x.d ->> 'scope', x.d ->> 'key', x.d ->> 'fingerprint', (x.d ->> 'status')::int, x.d ->> 'body',
                           u.position, now() + make_interval(secs => (x.d ->> 'ttl_seconds')::double precision)
                      from unnest(w_i, w_big) with ordinality u(i, position, o)
                      join unnest(c_idem) with ordinality x(d, i) on x.i = u.i
                     order by u.o
                    on conflict (scope, key) do update
                       set fingerprint = excluded.fingerprint, response_status = excluded.response_status,
                           response_body = excluded.response_body, position = excluded.position,
                           created_at = excluded.created_at, expires_at = excluded.expires_at
                     where ik.expires_at <= now()
                    returning 1)
                select count(*)::int into keyed_rows from ins;
                if keyed_rows < array_length(w_i, 1) then
                    raise exception 'an idempotency key of the batch was taken by a concurrent transaction'
                        using errcode = '40001';
                end if;
            end if;
        end if;
    end if;

    -- In-batch replays and duplicates answer as the earlier command they repeat.
    for i in 1 .. n loop
        j := r_same_as[i];
        if j is not null then
            r_first[i] := r_first[j];
            r_last[i] := r_last[j];
            if r_outcome[i] = 'replay' then
                r_first[i] := r_last[j];
                r_fp[i] := c_idem[j] ->> 'fingerprint';
                r_status[i] := (c_idem[j] ->> 'status')::int;
                r_body[i] := c_idem[j] ->> 'body';
            else
                r_version[i] := r_version[j];
            end if;
        end if;
    end loop;

    return query
        select (u.r - 1)::int, u.outcome, u.detail, u.first_position, u.last_position, u.stream_version,
               u.response_status, u.response_body, u.fingerprint
          from unnest(r_outcome, r_detail, r_first, r_last, r_version, r_status, r_body, r_fp)
               with ordinality u(outcome, detail, first_position, last_position, stream_version, response_status,
                                 response_body, fingerprint, r);

    -- Wake every subscriber once the batch commits (notifications are delivered at commit).
    perform pg_notify('ledger_events', '');
end
$$;
