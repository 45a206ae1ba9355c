-- Invitations to a session's applicant (deepidv's email and SMS invites), written with the
-- session and sent by the invite job. `link` is the hosted flow's link, sealed (AES-256-GCM
-- bound to the row) and erased once the invite is no longer pending.
CREATE TABLE session_invites (
    id               uuid PRIMARY KEY,
    session_id       uuid NOT NULL REFERENCES sessions (id),
    partner_id       uuid NOT NULL,
    channel          text NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    reference        text,
    last_error       text,
    link             bytea
);
CREATE INDEX session_invites_session ON session_invites (session_id, created_at);
CREATE INDEX session_invites_due ON session_invites (next_attempt_at) WHERE status = 'pending';
