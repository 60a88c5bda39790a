-- A draft may be for a ticket that has no conversation yet (a member
-- writes to its requester by email): then it names the ticket instead.
-- SQLite cannot drop a NOT NULL, so the table is rebuilt.
CREATE TABLE reply_drafts_new (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
    ticket_id       TEXT REFERENCES tickets(id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL,
    answers         TEXT NOT NULL,
    body            TEXT NOT NULL,
    mode            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    outcome         TEXT,
    decided_at      BIGINT
);
INSERT INTO reply_drafts_new (id, workspace_id, conversation_id, agent_id, answers, body, mode, created_at, outcome, decided_at)
    SELECT id, workspace_id, conversation_id, agent_id, answers, body, mode, created_at, outcome, decided_at FROM reply_drafts;
DROP TABLE reply_drafts;
ALTER TABLE reply_drafts_new RENAME TO reply_drafts;
CREATE INDEX reply_drafts_by_workspace ON reply_drafts (workspace_id, created_at);
CREATE INDEX reply_drafts_by_conversation ON reply_drafts (conversation_id, agent_id);
CREATE INDEX reply_drafts_by_ticket ON reply_drafts (ticket_id, agent_id);
