-- A stable integer per partner, in order of creation: EasyFreelance documents a return-URL
-- record's partner_id as an integer. Assigned at insert (one writer: MAX + 1 is safe).
ALTER TABLE partners ADD COLUMN number INTEGER;
UPDATE partners SET number = (
    SELECT COUNT(*) FROM partners p
    WHERE p.created_at < partners.created_at
       OR (p.created_at = partners.created_at AND p.id <= partners.id));
CREATE UNIQUE INDEX partners_number ON partners (number);
