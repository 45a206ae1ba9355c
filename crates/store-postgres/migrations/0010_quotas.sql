-- Partner quotas and evidence disclosure (production safety).
-- A partner's own sessions-per-minute cap (tier "custom", or an override of its tier).
ALTER TABLE partners ADD COLUMN session_cap integer;
-- What /evidence discloses: 'minimal' (pairwise subject, digest) or 'full' (the raw proof).
ALTER TABLE partners ADD COLUMN evidence text NOT NULL DEFAULT 'minimal';

-- Fixed-window counters shared by every node: one row per scope (e.g. a partner's session
-- creations) and window; a window's row is deleted once a later window of its scope is used.
CREATE TABLE quota_windows (
    scope        text NOT NULL,
    window_start bigint NOT NULL,
    used         integer NOT NULL,
    PRIMARY KEY (scope, window_start)
);

-- Provider round trips (code exchanges) made for a session: bounded per session.
ALTER TABLE sessions ADD COLUMN provider_exchanges integer NOT NULL DEFAULT 0;
