-- The outbox fan-out reads a partner's own endpoints and the session's per-verification one;
-- with a per-verification endpoint for every session, the partner index alone would walk them
-- all on every transition. Partner-wide endpoints get an index of their own.
CREATE INDEX webhook_endpoints_partner_wide ON webhook_endpoints (partner_id)
    WHERE session_id IS NULL;

-- The delivery claim counts each endpoint's live claims (its in-flight cap): only pending,
-- claimed rows are read for it.
CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries (claimed_until)
    WHERE status = 'pending' AND claimed_until IS NOT NULL;
