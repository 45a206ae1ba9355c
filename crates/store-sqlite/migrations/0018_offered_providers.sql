-- Providers the hosted page lets a partner's people choose from where the dialect names none
-- (a JSON array of provider ids); empty: the dialect's configured provider.
ALTER TABLE partners ADD COLUMN offered_providers TEXT NOT NULL DEFAULT '[]';
