-- Invitations to a session's applicant (deepidv's email and SMS invites), written with the
-- session and sent by the invite job. `link` is the hosted flow's link, sealed (AES-256-GCM
-- bound to the row) and erased once the invite is no longer pending.
CREATE TABLE session_invites (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions(id),
    partner_id       TEXT NOT NULL,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    reference        TEXT,
    last_error       TEXT,
    link             BLOB
) STRICT;
CREATE INDEX session_invites_session ON session_invites (session_id, created_at);
CREATE INDEX session_invites_due ON session_invites (next_attempt_at) WHERE status = 'pending';
