-- A stable integer per partner, in order of creation: EasyFreelance documents a return-URL
-- record's partner_id as an integer. Assigned by a sequence at insert.
ALTER TABLE partners ADD COLUMN number bigint;
UPDATE partners p SET number = r.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM partners) r
WHERE r.id = p.id;
CREATE SEQUENCE partners_number_seq OWNED BY partners.number;
SELECT setval('partners_number_seq', COALESCE((SELECT MAX(number) FROM partners), 0) + 1, false);
ALTER TABLE partners ALTER COLUMN number SET DEFAULT nextval('partners_number_seq');
ALTER TABLE partners ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX partners_number ON partners (number);
