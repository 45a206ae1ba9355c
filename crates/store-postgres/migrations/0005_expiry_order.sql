-- The sweep claims due sessions in (expires_at, id) order. With the index on expires_at alone,
-- sessions due at the same instant had to be sorted on every claim; with id in the index the
-- walk is already in order. The new index is built before the old one is dropped, so during
-- the build the table is only SHARE-locked (reads go on, writes wait); the brief ACCESS
-- EXCLUSIVE lock of the DROP comes last. (CREATE INDEX CONCURRENTLY would let writes go on,
-- but it waits for every older transaction in the database and deadlocked with nodes
-- migrating other schemas at the same time.)
CREATE INDEX sessions_expiry_order ON sessions (expires_at, id)
    WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested');
DROP INDEX sessions_expiry;
