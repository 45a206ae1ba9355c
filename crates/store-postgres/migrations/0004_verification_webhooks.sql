-- An endpoint may serve one verification only (Hopae's per-verification `webhookUrl`).
ALTER TABLE webhook_endpoints ADD COLUMN session_id uuid;
CREATE INDEX webhook_endpoints_session ON webhook_endpoints (session_id)
    WHERE session_id IS NOT NULL;
