-- Replies the assistant drafted for a member of the team, and what became
-- of each: sent as written, edited before sending, or discarded. A draft
-- still undecided has no outcome.
CREATE TABLE reply_drafts (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL,
    -- The visitor's message it answers.
    answers         TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- 'offline', or the provider's name.
    mode            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- 'sent', 'edited' or 'discarded'.
    outcome         TEXT,
    decided_at      BIGINT
);
CREATE INDEX reply_drafts_by_workspace ON reply_drafts (workspace_id, created_at);
CREATE INDEX reply_drafts_by_conversation ON reply_drafts (conversation_id, agent_id);
