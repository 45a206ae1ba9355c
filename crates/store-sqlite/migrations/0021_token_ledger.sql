-- Partners' token balances (deepidv's tokens: a metered session costs some) and the ledger
-- that explains them: every top-up and every spend, with the balance after it.
CREATE TABLE token_balances (
    partner_id  TEXT PRIMARY KEY REFERENCES partners(id),
    balance     INTEGER NOT NULL CHECK (balance >= 0)
) STRICT;
CREATE TABLE token_ledger (
    id             TEXT PRIMARY KEY,
    partner_id     TEXT NOT NULL REFERENCES partners(id),
    at             INTEGER NOT NULL,
    delta          INTEGER NOT NULL,
    balance_after  INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    session_id     TEXT,
    note           TEXT
) STRICT;
CREATE INDEX token_ledger_partner ON token_ledger (partner_id, at, id);
