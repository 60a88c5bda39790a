-- Ticket routing: how a workspace hands out the tickets nobody holds
-- (JSON; none saved means by hand), and when each member was last handed
-- one (round robin's turn).
ALTER TABLE desk_settings ADD COLUMN routing TEXT;
ALTER TABLE memberships ADD COLUMN last_routed_at BIGINT;
