-- A draft may be for a ticket that has no conversation yet (a member
-- writes to its requester by email): then it names the ticket instead.
ALTER TABLE reply_drafts ALTER COLUMN conversation_id DROP NOT NULL;
ALTER TABLE reply_drafts ADD COLUMN ticket_id TEXT REFERENCES tickets(id) ON DELETE CASCADE;
CREATE INDEX reply_drafts_by_ticket ON reply_drafts (ticket_id, agent_id);
