-- Partner webhooks: endpoints, the event outbox, deliveries (the queue) and their attempts.

CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    partner_id      uuid NOT NULL REFERENCES partners (id),
    url             text NOT NULL,
    event_types     jsonb NOT NULL,
    enabled         boolean NOT NULL,
    include_claims  boolean NOT NULL,
    sign_ed25519    boolean NOT NULL,
    -- AES-256-GCM ciphertext of the JSON list of signing secrets.
    secrets         bytea NOT NULL,
    failing_since   timestamptz,
    disabled_reason text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, created_at);

CREATE TABLE webhook_events (
    id         uuid PRIMARY KEY,
    partner_id uuid NOT NULL REFERENCES partners (id),
    session_id uuid REFERENCES sessions (id),
    seq        bigint,
    type       text NOT NULL,
    created_at timestamptz NOT NULL,
    payload    jsonb NOT NULL
);
CREATE INDEX webhook_events_session ON webhook_events (session_id, seq);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    event_id         uuid NOT NULL REFERENCES webhook_events (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
    session_id       uuid,
    seq              bigint,
    status           text NOT NULL,
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    claimed_until    timestamptz,
    created_at       timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    last_status_code integer,
    last_error       text,
    CONSTRAINT webhook_deliveries_event_endpoint_unique UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, session_id, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempt       integer NOT NULL,
    at            timestamptz NOT NULL,
    status_code   integer,
    duration_ms   bigint NOT NULL,
    error         text,
    response_body text,
    CONSTRAINT webhook_attempts_pkey PRIMARY KEY (delivery_id, attempt)
);
