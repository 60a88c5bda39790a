-- The team's internal notes on a ticket, never shown to the requester,
-- with the author's name as it was when they wrote.
CREATE TABLE ticket_notes (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    author_id    TEXT,
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ticket_notes_by_ticket ON ticket_notes (ticket_id, created_at);

-- A member named in a note (`@Ana Lima`): theirs to read in the dashboard
-- (unread until `read_at`); they are emailed when it is made.
CREATE TABLE mentions (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    note_id      TEXT NOT NULL REFERENCES ticket_notes(id) ON DELETE CASCADE,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    read_at      BIGINT
);
CREATE INDEX mentions_by_member ON mentions (workspace_id, user_id, created_at);
