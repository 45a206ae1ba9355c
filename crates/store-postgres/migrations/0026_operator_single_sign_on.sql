-- Who an operator is at the console's single-sign-on provider: its issuer and its `sub` there
-- (a subject is unique only within its issuer).
ALTER TABLE operators ADD COLUMN sso_issuer text;
ALTER TABLE operators ADD COLUMN sso_subject text;
CREATE UNIQUE INDEX operators_single_sign_on ON operators (sso_issuer, sso_subject)
    WHERE sso_subject IS NOT NULL;
