-- Which return URLs a partner's sessions may send people back to: 'approved' (registered
-- rules an operator approved) or 'any_https' (deepidv's behaviour, an operator's choice).
ALTER TABLE partners ADD COLUMN return_url_policy TEXT NOT NULL DEFAULT 'approved';
