-- Hopae Connect: provider evidence per session, push-request lookup, idempotency keys.

-- What the provider reported besides claims (subject, acr, amr, evidence); sealed like claims.
ALTER TABLE sessions ADD COLUMN evidence BLOB;

-- Simulated phone apps find the requests pushed to an identifier (stored as a keyed digest).
CREATE INDEX sessions_provider_reference ON sessions (provider_id, provider_reference)
    WHERE provider_reference IS NOT NULL;

-- `Idempotency-Key` of session creations: the first request's digest and its answer.
CREATE TABLE idempotency_keys (
    partner_id      TEXT NOT NULL REFERENCES partners(id),
    key             TEXT NOT NULL,
    request_digest  TEXT NOT NULL,
    -- 'in_progress' while the first request runs (until locked_until), then 'completed'.
    state           TEXT NOT NULL,
    locked_until    INTEGER,
    response_status INTEGER,
    -- The answer (it holds the hosted-flow URL, a bearer secret), sealed.
    response_body   BLOB,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (partner_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
