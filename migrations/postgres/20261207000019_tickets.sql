-- Tickets: what needs a person beyond a live chat, opened when a
-- conversation is escalated or by a member of the team, numbered per
-- workspace, with a status, priority, category and assignee, and a history
-- of who changed what.

-- The workspace's last ticket number: taken under the row's lock, so two
-- processes never hand out the same one.
ALTER TABLE workspaces ADD COLUMN ticket_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    number          BIGINT NOT NULL,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    subject         TEXT NOT NULL,
    -- 'open', 'pending', 'solved' or 'closed'.
    status          TEXT NOT NULL,
    -- 'low', 'normal', 'high' or 'urgent'.
    priority        TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT 'other',
    assignee_id     TEXT,
    requester_email TEXT,
    -- 'escalation', 'agent' or 'email'; with the escalation's reason.
    source          TEXT NOT NULL,
    reason          TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    solved_at       BIGINT,
    UNIQUE (workspace_id, number)
);
CREATE INDEX tickets_by_status ON tickets (workspace_id, status, updated_at);
-- A conversation has at most one ticket being worked on.
CREATE UNIQUE INDEX tickets_live_per_conversation ON tickets (conversation_id)
    WHERE status IN ('open', 'pending');

-- Every change to a ticket: who (NULL: Lodestar itself), what, when.
CREATE TABLE ticket_events (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- The entry's place in the ticket's history: one change can make several at one instant.
    n            BIGINT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT,
    -- 'opened', 'status', 'priority', 'category', 'assignee', 'subject'.
    kind         TEXT NOT NULL,
    from_value   TEXT,
    to_value     TEXT,
    at           BIGINT NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, n);
