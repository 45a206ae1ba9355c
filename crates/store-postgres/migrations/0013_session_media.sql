-- Files partners upload to their sessions (Veriff's media endpoints). The content is sealed
-- (AES-256-GCM bound to the row), like every other personal-data column.
CREATE TABLE session_media (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id),
    partner_id  uuid NOT NULL,
    attempt_id  text,
    context     text NOT NULL,
    mimetype    text NOT NULL,
    size        bigint NOT NULL,
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX session_media_session ON session_media (session_id, created_at);
CREATE INDEX session_media_attempt ON session_media (partner_id, attempt_id);
