-- The balance monitor evaluator's state (dev.ledgerflow.core.balancemonitor.BalanceMonitorEvaluator),
-- a fold of the feed kept beside its checkpoint. Each row records the feed place ((txid, position))
-- of the last event folded into it, so an event handed over again after a crash is never folded twice.

-- Every merchant account's posted balance and pending holds, in feed order: a monitor created at any
-- point knows the balance it starts from. (account_balances, the append's guard, moves in commit order
-- and is ahead of the feed; this one is exactly the balance after the event being evaluated.)
create table balance_monitor_balances (
    account_id text   collate "C" primary key,
    posted     bigint not null,
    pending    bigint not null,
    txid       bigint not null,
    position   bigint not null
);

-- The monitors that are not deleted, by account: what each posting is evaluated against. A row is
-- added at the monitor's balance_monitor.created event (its feed place) and removed at its deleted one.
create table balance_monitor_watches (
    monitor_id      text   collate "C" primary key,
    account_id      text   collate "C" not null,
    merchant_id     text   not null,
    field           text   not null,
    operator        text   not null,
    threshold       bigint not null,
    hysteresis      bigint not null,
    overdraft_limit bigint not null,
    txid            bigint not null,
    position        bigint not null
);

create index balance_monitor_watches_account on balance_monitor_watches (account_id);
