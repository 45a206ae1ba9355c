-- No query reads sessions by (partner_id, created_at): a partner reaches its sessions by id, and
-- tenancy is checked on the row. The index only cost a B-tree write per creation. A listing
-- of a partner's sessions, when one exists, brings the index it needs.
DROP INDEX sessions_partner;
