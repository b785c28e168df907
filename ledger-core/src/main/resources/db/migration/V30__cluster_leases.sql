-- Running more than one instance of the service on one database (docs/scale-out.md).
--
-- cluster_members: the instances alive now, each with the lease groups it takes part in; a member
-- whose heartbeat is older than the lease time-to-live is gone (crashed or partitioned away).
--
-- consumer_leases: one row per partition of each lease group (the payment processor's and the
-- webhook dispatcher's partitions of the log, the Kafka relay's and each projection's single lease).
-- A partition is owned by one live instance at a time: owner and heartbeat_at say who and since when
-- it last proved it was alive; a lease whose heartbeat is older than the time-to-live may be taken
-- over by anyone. epoch counts the acquisitions: the fencing token. The partition's checkpoint lives
-- in the same row and is only ever moved by a statement that also checks owner and epoch, so an
-- owner that lost its lease (paused, cut off) cannot move it after its successor took over.

create table cluster_members (
    instance_id  text        primary key,
    host         text        not null,
    groups       text[]      not null,
    started_at   timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
);

create table consumer_leases (
    consumer     text        not null,
    partition    int         not null check (partition >= 0),
    partitions   int         not null check (partitions > 0 and partition < partitions),
    owner        text,
    epoch        bigint      not null default 0,
    acquired_at  timestamptz,
    heartbeat_at timestamptz,
    txid         bigint      not null default 0 check (txid >= 0),
    position     bigint      not null default 0 check (position >= 0),
    saved_at     timestamptz,
    primary key (consumer, partition)
);

create index consumer_leases_owner on consumer_leases (owner) where owner is not null;
