-- How the hosted pages show a partner (a JSON object: display name, colour, support contact,
-- privacy link, the logo's type and version), and the logo itself, uploaded by an operator and
-- served by idgate so no page loads anything from elsewhere.
ALTER TABLE partners ADD COLUMN branding TEXT NOT NULL DEFAULT '{}';
CREATE TABLE partner_logos (
    partner_id uuid PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    bytes bytea NOT NULL
);
