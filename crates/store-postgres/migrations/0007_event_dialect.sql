-- The dialect an outbox event is shaped for, recorded when it is written, so the delivery job
-- adds that dialect's signature headers without reading the payload. Events written before
-- take their session's dialect; partner-level events (test events) have none.
ALTER TABLE webhook_events ADD COLUMN dialect TEXT;
UPDATE webhook_events SET dialect = (SELECT s.dialect FROM sessions s WHERE s.id = webhook_events.session_id)
WHERE session_id IS NOT NULL;
