-- Read receipts: how far each side has seen the other's messages. The
-- time of the newest message seen (not the clock's), so a receipt covers
-- exactly the messages that were there to see.

-- The visitor saw the team's messages up to this one's time.
ALTER TABLE conversations ADD COLUMN visitor_seen_at BIGINT;
-- A person from the team saw the visitor's messages up to this one's time.
ALTER TABLE conversations ADD COLUMN team_seen_at BIGINT;
