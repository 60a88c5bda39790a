-- Service level targets: a workspace's targets per priority (JSON; none
-- saved means the defaults), and each ticket's clocks, from which the
-- deadlines are counted in business hours when they are read.
ALTER TABLE desk_settings ADD COLUMN sla_policy TEXT;

-- The team's first reply.
ALTER TABLE tickets ADD COLUMN first_replied_at BIGINT;
-- The requester's oldest message since the team last replied (the next
-- reply's clock); NULL while nothing waits.
ALTER TABLE tickets ADD COLUMN awaiting_since BIGINT;
-- The resolution's clock runs while the ticket is open: since when, and the
-- working time it used in earlier open spells (pending pauses it).
ALTER TABLE tickets ADD COLUMN open_since BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_used_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_missed BIGINT NOT NULL DEFAULT 0;
UPDATE tickets SET open_since = updated_at WHERE status = 'open';
