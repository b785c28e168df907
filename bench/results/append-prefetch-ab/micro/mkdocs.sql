-- pre-generated batches: kind, n, seq -> doc
create table if not exists docs (kind text, n int, seq int, doc jsonb, primary key (kind, n, seq));
