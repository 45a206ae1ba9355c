-- Operators (the console's users), the browsers signed in as them, and the audit trail of
-- what they did. The trail is append-only: idgate never updates or deletes a line.
CREATE TABLE operators (
    id               TEXT PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL,
    partners         TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    totp_key         BLOB NOT NULL,
    failed_sign_ins  INTEGER NOT NULL,
    locked_until     INTEGER,
    last_totp_step   INTEGER NOT NULL,
    disabled         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;
CREATE TABLE console_sessions (
    digest        TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL REFERENCES operators(id),
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           INTEGER NOT NULL,
    operator_id  TEXT,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    from_addr    TEXT,
    details      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
