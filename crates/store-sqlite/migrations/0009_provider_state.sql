-- What a provider adapter keeps between the calls of one flow (order references, QR secrets),
-- sealed like personal data.
ALTER TABLE sessions ADD COLUMN provider_state BLOB;
