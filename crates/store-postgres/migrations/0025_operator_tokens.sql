-- Operators' admin API tokens: only a keyed digest of each is kept.
CREATE TABLE operator_tokens (
    id           uuid PRIMARY KEY,
    operator_id  uuid NOT NULL REFERENCES operators (id),
    digest       text NOT NULL UNIQUE,
    label        text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
