select count(*) from ledger_append_batch((
  select jsonb_agg(jsonb_build_object(
    'stream', 'pay_' || gen_random_uuid(), 'expected', -1,
    'events', jsonb_build_array(
        jsonb_build_object('id', gen_random_uuid(), 'type', 'payment.created', 'payload', jsonb_build_object('amount', 1000, 'currency', 'USD', 'merchant', 'mer_' || (g % 5)), 'metadata', jsonb_build_object('merchant', 'mer_' || (g % 5))),
        jsonb_build_object('id', gen_random_uuid(), 'type', 'payment.succeeded', 'payload', jsonb_build_object('amount', 1000), 'metadata', jsonb_build_object('merchant', 'mer_' || (g % 5)))),
    'changes', jsonb_build_array(
        jsonb_build_object('account', 'sys_card_clearing_USD', 'currency', 'USD', 'posted', -1000, 'pending', 0, 'system', true),
        jsonb_build_object('account', 'set_mer_' || (g % 5) || '_USD', 'currency', 'USD', 'posted', 1000, 'pending', 0, 'system', true)),
    'idempotency', jsonb_build_object('scope', 'mer_' || (g % 5), 'key', gen_random_uuid(), 'fingerprint', md5(g::text), 'status', 201, 'body', '{"id":"pay_x","status":"succeeded"}', 'ttl_seconds', 86400)))
  from generate_series(1, :n) g));
