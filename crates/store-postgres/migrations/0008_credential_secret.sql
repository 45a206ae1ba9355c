-- A credential kind whose requests are signed with a shared secret (HMAC) keeps that secret,
-- sealed like personal data. Revocation may lie in the future: a rotated credential works
-- until its grace period ends.
ALTER TABLE credentials ADD COLUMN shared_secret BYTEA;
