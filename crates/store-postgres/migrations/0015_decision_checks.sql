-- Sessions started or submitted at a provider that decides later (Veriff) are asked about now
-- and then, so a lost webhook never leaves one pending: when each was last asked, and an index over the
-- few that wait.
ALTER TABLE sessions ADD COLUMN decision_checked_at timestamptz;
CREATE INDEX sessions_awaiting_decision ON sessions (COALESCE(submitted_at, started_at))
    WHERE status IN ('started', 'submitted');
