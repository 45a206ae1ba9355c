-- idgate schema, SQLite. Instants are INTEGER microseconds since the Unix epoch (UTC) so they
-- sort and compare as numbers; ids are hyphenated UUID text; personal data is an AES-256-GCM
-- BLOB written by the store's key ring.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE partners (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    tier             TEXT NOT NULL,
    session_ttl_secs INTEGER,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE credentials (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners(id),
    kind          TEXT NOT NULL,
    lookup_digest TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    CONSTRAINT credentials_lookup_unique UNIQUE (kind, lookup_digest)
) STRICT;

CREATE TABLE return_url_rules (
    id                     TEXT PRIMARY KEY,
    partner_id             TEXT NOT NULL REFERENCES partners(id),
    requested_url          TEXT NOT NULL,
    normalized_scheme      TEXT NOT NULL,
    normalized_host        TEXT NOT NULL,
    normalized_path_prefix TEXT NOT NULL,
    status                 TEXT NOT NULL,
    requested_at           INTEGER NOT NULL,
    decided_at             INTEGER
) STRICT;
CREATE INDEX return_url_rules_partner ON return_url_rules (partner_id, requested_at);
CREATE INDEX return_url_rules_status ON return_url_rules (status, requested_at);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    partner_id          TEXT NOT NULL REFERENCES partners(id),
    dialect             TEXT NOT NULL,
    provider_id         TEXT NOT NULL,
    status              TEXT NOT NULL,
    reason              TEXT,
    raw_provider_status TEXT,
    external_refs       TEXT NOT NULL,
    dialect_options     TEXT NOT NULL,
    applicant           BLOB,
    requested_loa       INTEGER,
    requested_claims    TEXT NOT NULL,
    match_data          BLOB,
    return_url          TEXT,
    access_token_digest TEXT NOT NULL,
    provider_reference  TEXT,
    created_at          INTEGER NOT NULL,
    started_at          INTEGER,
    submitted_at        INTEGER,
    decided_at          INTEGER,
    expires_at          INTEGER NOT NULL,
    achieved_loa        INTEGER,
    result_claims       BLOB,
    match_result        BLOB,
    version             INTEGER NOT NULL,
    -- Expiry work claimed by a node until this instant (a lease: a crashed node's claim lapses).
    expiry_claimed_until INTEGER,
    CONSTRAINT sessions_access_token_unique UNIQUE (access_token_digest)
) STRICT;
CREATE INDEX sessions_partner ON sessions (partner_id, created_at);
-- Only sessions that can still expire are indexed, so the sweep stays fast as history grows.
CREATE INDEX sessions_expiry ON sessions (expires_at)
    WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested');

CREATE TABLE session_events (
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    event       TEXT,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT,
    details     TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT, WITHOUT ROWID;
