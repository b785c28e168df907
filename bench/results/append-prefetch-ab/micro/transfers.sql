select count(*) from ledger_append_batch((
  select jsonb_agg(jsonb_build_object(
    'stream', 'tr_' || gen_random_uuid(), 'expected', -1,
    'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'transfer.posted', 'payload', jsonb_build_object('amount', 7, 'from', 'acc_' || f, 'to', 'acc_' || t), 'metadata', '{"merchant":"mer_1"}'::jsonb)),
    'changes', jsonb_build_array(
        jsonb_build_object('account', 'acc_' || f, 'currency', 'USD', 'posted', -7, 'pending', 0, 'system', false),
        jsonb_build_object('account', 'acc_' || t, 'currency', 'USD', 'posted', 7, 'pending', 0, 'system', false)),
    'idempotency', jsonb_build_object('scope', 'mer_1', 'key', gen_random_uuid(), 'fingerprint', md5(g::text), 'status', 201, 'body', '{"id":"tr_x"}', 'ttl_seconds', 86400)))
  from (select g, f, 1 + (f + (random() * (:accts - 2))::int) % :accts as t
        from (select g, 1 + (random() * (:accts - 1))::int as f from generate_series(1, :n) g) y) x));
