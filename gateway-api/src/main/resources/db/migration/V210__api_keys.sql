-- Several API keys per merchant, each revocable. A key is stored as HMAC-SHA256(server key, SHA-256(key))
-- (scheme 'hmac'): a stolen table cannot be checked against guesses without the server key. Rows written
-- before (scheme 'sha256') hold the plain SHA-256 digest; the service rehashes them in place at start-up,
-- which needs only the stored digest (see ApiKeyHashes).
create table api_keys (
    id          text        primary key,
    merchant_id text        not null references merchants (id),
    key_hash    text        not null unique,
    hash_scheme text        not null check (hash_scheme in ('sha256', 'hmac')),
    -- the last four characters, so a merchant can tell its keys apart
    last4       text        not null,
    created_at  timestamptz not null,
    revoked_at  timestamptz
);

create index api_keys_by_merchant on api_keys (merchant_id, created_at);

insert into api_keys (id, merchant_id, key_hash, hash_scheme, last4, created_at)
select 'key_' || substr(md5(m.id), 1, 24), m.id, m.api_key_hash, 'sha256', '????', m.created_at
from merchants m;

alter table merchants drop column api_key_hash;
