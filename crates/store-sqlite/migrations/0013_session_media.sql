-- Files partners upload to their sessions (Veriff's media endpoints). The content is sealed
-- (AES-256-GCM bound to the row), like every other personal-data column.
CREATE TABLE session_media (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    partner_id  TEXT NOT NULL,
    attempt_id  TEXT,
    context     TEXT NOT NULL,
    mimetype    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    content     BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX session_media_session ON session_media (session_id, created_at);
CREATE INDEX session_media_attempt ON session_media (partner_id, attempt_id);
