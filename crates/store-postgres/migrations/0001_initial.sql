-- idgate schema, PostgreSQL. Native types: uuid ids, timestamptz instants, jsonb documents,
-- bytea for AES-256-GCM ciphertext of personal data (written by the store's key ring).
-- Unique constraints are named: the store maps each name to the same client error as SQLite.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE partners (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    tier             text NOT NULL,
    session_ttl_secs bigint,
    created_at       timestamptz NOT NULL
);

CREATE TABLE credentials (
    id            uuid PRIMARY KEY,
    partner_id    uuid NOT NULL REFERENCES partners (id),
    kind          text NOT NULL,
    lookup_digest text NOT NULL,
    secret_digest text NOT NULL,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    CONSTRAINT credentials_lookup_unique UNIQUE (kind, lookup_digest)
);
CREATE INDEX credentials_partner ON credentials (partner_id);

CREATE TABLE return_url_rules (
    id                     uuid PRIMARY KEY,
    partner_id             uuid NOT NULL REFERENCES partners (id),
    requested_url          text NOT NULL,
    normalized_scheme      text NOT NULL,
    normalized_host        text NOT NULL,
    normalized_path_prefix text NOT NULL,
    status                 text NOT NULL,
    requested_at           timestamptz NOT NULL,
    decided_at             timestamptz
);
CREATE INDEX return_url_rules_partner ON return_url_rules (partner_id, requested_at);
CREATE INDEX return_url_rules_status ON return_url_rules (status, requested_at);

CREATE TABLE sessions (
    id                  uuid PRIMARY KEY,
    partner_id          uuid NOT NULL REFERENCES partners (id),
    dialect             text NOT NULL,
    provider_id         text NOT NULL,
    status              text NOT NULL,
    reason              text,
    raw_provider_status text,
    external_refs       jsonb NOT NULL,
    dialect_options     jsonb NOT NULL,
    applicant           bytea,
    requested_loa       smallint,
    requested_claims    jsonb NOT NULL,
    match_data          bytea,
    return_url          text,
    access_token_digest text NOT NULL,
    provider_reference  text,
    created_at          timestamptz NOT NULL,
    started_at          timestamptz,
    submitted_at        timestamptz,
    decided_at          timestamptz,
    expires_at          timestamptz NOT NULL,
    achieved_loa        smallint,
    result_claims       bytea,
    match_result        bytea,
    version             bigint NOT NULL,
    -- Expiry work claimed by a node until this instant (a lease: a crashed node's claim lapses).
    expiry_claimed_until timestamptz,
    CONSTRAINT sessions_access_token_unique UNIQUE (access_token_digest)
);
CREATE INDEX sessions_partner ON sessions (partner_id, created_at);
-- Only sessions that can still expire are indexed, so the sweep stays fast as history grows.
CREATE INDEX sessions_expiry ON sessions (expires_at)
    WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested');

CREATE TABLE session_events (
    session_id  uuid NOT NULL REFERENCES sessions (id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    event       text,
    from_status text,
    to_status   text NOT NULL,
    reason      text,
    details     jsonb NOT NULL,
    CONSTRAINT session_events_pkey PRIMARY KEY (session_id, seq)
);
