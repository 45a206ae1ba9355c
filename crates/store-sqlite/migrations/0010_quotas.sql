-- Partner quotas and evidence disclosure (production safety).
-- A partner's own sessions-per-minute cap (tier "custom", or an override of its tier).
ALTER TABLE partners ADD COLUMN session_cap INTEGER;
-- What /evidence discloses: 'minimal' (pairwise subject, digest) or 'full' (the raw proof).
ALTER TABLE partners ADD COLUMN evidence TEXT NOT NULL DEFAULT 'minimal';

-- Fixed-window counters shared by every node: one row per scope (e.g. a partner's session
-- creations) and window; a window's row is deleted once a later window of its scope is used.
CREATE TABLE quota_windows (
    scope        TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    PRIMARY KEY (scope, window_start)
) WITHOUT ROWID;

-- Provider round trips (code exchanges) made for a session: bounded per session.
ALTER TABLE sessions ADD COLUMN provider_exchanges INTEGER NOT NULL DEFAULT 0;
