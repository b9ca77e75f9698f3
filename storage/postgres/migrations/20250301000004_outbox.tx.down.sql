-- Drops the delivery state of the events (the events stay).
DROP INDEX IF EXISTS events_pending_org_idx;
DROP INDEX IF EXISTS events_pending_idx;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_attempts_check;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_delivery_check;
ALTER TABLE events DROP COLUMN IF EXISTS last_error;
ALTER TABLE events DROP COLUMN IF EXISTS claimed_until;
ALTER TABLE events DROP COLUMN IF EXISTS claim_id;
ALTER TABLE events DROP COLUMN IF EXISTS due_at;
ALTER TABLE events DROP COLUMN IF EXISTS attempts;
ALTER TABLE events DROP COLUMN IF EXISTS delivery;
