-- Operators (the console's users), the browsers signed in as them, and the audit trail of
-- what they did. The trail is append-only: idgate never updates or deletes a line.
CREATE TABLE operators (
    id               uuid PRIMARY KEY,
    username         text NOT NULL UNIQUE,
    role             text NOT NULL,
    partners         jsonb NOT NULL,
    password_hash    text NOT NULL,
    totp_key         bytea NOT NULL,
    failed_sign_ins  integer NOT NULL,
    locked_until     timestamptz,
    last_totp_step   bigint NOT NULL,
    disabled         boolean NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE TABLE console_sessions (
    digest        text PRIMARY KEY,
    operator_id   uuid NOT NULL REFERENCES operators (id),
    csrf          text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    at           timestamptz NOT NULL,
    operator_id  uuid,
    actor        text NOT NULL,
    action       text NOT NULL,
    target       text NOT NULL,
    from_addr    text,
    details      jsonb NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
