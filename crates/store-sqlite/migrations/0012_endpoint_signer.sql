-- A webhook endpoint may sign as one of its partner's integrations (a Veriff integration's
-- API key and shared secret), the way that vendor's receivers verify.
ALTER TABLE webhook_endpoints ADD COLUMN signing_credential TEXT;
