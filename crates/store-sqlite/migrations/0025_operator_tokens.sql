-- Operators' admin API tokens: only a keyed digest of each is kept.
CREATE TABLE operator_tokens (
    id           TEXT PRIMARY KEY,
    operator_id  TEXT NOT NULL REFERENCES operators(id),
    digest       TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;
