-- The subject (`sub`) an operator has at the console's single-sign-on provider.
ALTER TABLE operators ADD COLUMN sso_subject text;
CREATE UNIQUE INDEX operators_sso_subject ON operators (sso_subject) WHERE sso_subject IS NOT NULL;
