-- Merchants and their API keys. Keys are random 256-bit secrets, so a SHA-256 digest is a safe and
-- fast way to store them: only the digest is kept, the key itself is shown once at creation.
create table merchants (
    id           text        primary key,
    name         text        not null,
    api_key_hash text        not null unique,
    created_at   timestamptz not null
);
