-- The transactional outbox: the delivery state of every event, kept on
-- the events table itself, so that an event and its pending delivery are
-- written by the same INSERT and vanish together on rollback.
--
-- Events stored before this migration predate the outbox: they are marked
-- delivered (nobody was waiting for them), and only new events start
-- pending.

ALTER TABLE events ADD COLUMN IF NOT EXISTS delivery text NOT NULL DEFAULT 'delivered';
ALTER TABLE events ALTER COLUMN delivery SET DEFAULT 'pending';
-- attempts counts the claims of the event.
ALTER TABLE events ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0;
-- due_at is the earliest time of the next attempt (NULL: at once).
ALTER TABLE events ADD COLUMN IF NOT EXISTS due_at timestamptz;
-- claim_id and claimed_until are the latest claim and its lease, NULL once released.
ALTER TABLE events ADD COLUMN IF NOT EXISTS claim_id uuid;
ALTER TABLE events ADD COLUMN IF NOT EXISTS claimed_until timestamptz;
ALTER TABLE events ADD COLUMN IF NOT EXISTS last_error text NOT NULL DEFAULT '';

ALTER TABLE events DROP CONSTRAINT IF EXISTS events_delivery_check;
ALTER TABLE events ADD CONSTRAINT events_delivery_check CHECK (delivery IN ('pending', 'delivered', 'dead'));
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_attempts_check;
ALTER TABLE events ADD CONSTRAINT events_attempts_check CHECK (attempts >= 0);

-- Claims scan the pending events in append order, all organizations
-- together or one organization's; delivered events leave the indexes.
CREATE INDEX IF NOT EXISTS events_pending_idx ON events (seq) WHERE delivery = 'pending';
CREATE INDEX IF NOT EXISTS events_pending_org_idx ON events (organization_id, seq) WHERE delivery = 'pending';
