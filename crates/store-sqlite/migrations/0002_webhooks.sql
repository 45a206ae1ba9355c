-- Partner webhooks: endpoints, the event outbox, deliveries (the queue) and their attempts.

CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners(id),
    url             TEXT NOT NULL,
    event_types     TEXT NOT NULL,
    enabled         INTEGER NOT NULL,
    include_claims  INTEGER NOT NULL,
    sign_ed25519    INTEGER NOT NULL,
    -- AES-256-GCM ciphertext of the JSON list of signing secrets.
    secrets         BLOB NOT NULL,
    failing_since   INTEGER,
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, created_at);

CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    session_id TEXT REFERENCES sessions(id),
    seq        INTEGER,
    type       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    payload    TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_events_session ON webhook_events (session_id, seq);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES webhook_events(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    session_id       TEXT,
    seq              INTEGER,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER,
    created_at       INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    delivered_at     INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    CONSTRAINT webhook_deliveries_event_endpoint_unique UNIQUE (event_id, endpoint_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, session_id, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    status_code   INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT,
    PRIMARY KEY (delivery_id, attempt)
) STRICT, WITHOUT ROWID;
