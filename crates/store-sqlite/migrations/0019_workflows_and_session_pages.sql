-- A partner's verification workflows (a JSON array of {id, name, providers, steps}): what
-- deepidv's workflow_id names.
ALTER TABLE partners ADD COLUMN workflows TEXT NOT NULL DEFAULT '[]';
-- A partner's sessions of one dialect, newest first, in keyset pages (deepidv's list).
CREATE INDEX sessions_partner_pages ON sessions (partner_id, dialect, created_at DESC, id DESC);
