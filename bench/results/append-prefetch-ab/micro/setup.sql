select count(*) from ledger_append_batch((
  select jsonb_agg(jsonb_build_object(
    'stream', 'acc_' || g, 'expected', -1,
    'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'account.opened', 'payload', '{}'::jsonb, 'metadata', '{}'::jsonb)),
    'open', jsonb_build_array(jsonb_build_object('account', 'acc_' || g, 'currency', 'USD', 'merchant', 'mer_1', 'overdraft_limit', 0))))
  from generate_series(1, 1000) g));
select count(*) from ledger_append_batch((
  select jsonb_agg(jsonb_build_object(
    'stream', 'dep_' || g, 'expected', -1,
    'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'deposit.posted', 'payload', '{}'::jsonb, 'metadata', '{}'::jsonb)),
    'changes', jsonb_build_array(
        jsonb_build_object('account', 'acc_' || g, 'currency', 'USD', 'posted', 1000000000000, 'pending', 0, 'system', false),
        jsonb_build_object('account', 'sys_funding_USD', 'currency', 'USD', 'posted', -1000000000000, 'pending', 0, 'system', true))))
  from generate_series(1, 1000) g));
