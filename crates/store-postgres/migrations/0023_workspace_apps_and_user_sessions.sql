-- A Hopae app's client id in clear (the workspace API names apps by it; it is not a secret),
-- and what a dialect keeps about a webhook endpoint in its own terms (a Hopae app's webhook
-- config: the app, the event names it subscribed with, its retry settings).
ALTER TABLE credentials ADD COLUMN public_id TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN dialect_settings JSONB;
-- A partner's user's sessions, newest first (EasyFreelance's onboarding view of a user).
CREATE INDEX sessions_partner_user ON sessions
    (partner_id, (external_refs->>'user_id'), created_at DESC, id DESC);
