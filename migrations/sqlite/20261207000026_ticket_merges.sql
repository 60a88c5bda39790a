-- A duplicate merged into another ticket: closed, and pointing at the one
-- that goes on (its notes moved there). A requester's reply in the
-- duplicate's conversation reaches that one.
ALTER TABLE tickets ADD COLUMN merged_into TEXT;
