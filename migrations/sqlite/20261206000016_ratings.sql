-- Satisfaction ratings (CSAT): asked once when a person resolves a
-- conversation (unless they choose not to), answered once by the visitor.

-- When the visitor was asked to rate, and the member the rating is for.
ALTER TABLE conversations ADD COLUMN rating_asked_at BIGINT;
ALTER TABLE conversations ADD COLUMN rating_agent_id TEXT REFERENCES users(id) ON DELETE SET NULL;
-- The answer: 1 to 5, an optional comment, when.
ALTER TABLE conversations ADD COLUMN rating INTEGER;
ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN rated_at BIGINT;
CREATE INDEX conversations_ratings ON conversations (workspace_id, rating_agent_id, rated_at);
