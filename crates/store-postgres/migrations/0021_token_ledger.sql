-- Partners' token balances (deepidv's tokens: a metered session costs some) and the ledger
-- that explains them: every top-up and every spend, with the balance after it.
CREATE TABLE token_balances (
    partner_id  uuid PRIMARY KEY REFERENCES partners (id),
    balance     bigint NOT NULL CHECK (balance >= 0)
);
CREATE TABLE token_ledger (
    id             uuid PRIMARY KEY,
    partner_id     uuid NOT NULL REFERENCES partners (id),
    at             timestamptz NOT NULL,
    delta          bigint NOT NULL,
    balance_after  bigint NOT NULL,
    kind           text NOT NULL,
    session_id     uuid,
    note           text
);
CREATE INDEX token_ledger_partner ON token_ledger (partner_id, at, id);
