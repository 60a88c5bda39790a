-- The desk's inbox: which conversations are done, and how far each member
-- of the team has read each conversation (unread counts).

-- When a person marked the conversation resolved; NULL while it is open.
-- A visitor's next message reopens it.
ALTER TABLE conversations ADD COLUMN resolved_at BIGINT;
CREATE INDEX conversations_open ON conversations (workspace_id, resolved_at, updated_at);

CREATE TABLE conversation_reads (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- The visitor's messages up to this time are read.
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Who from the team is at the desk: a member with the inbox open is seen
-- every few seconds; "online" is seen within the last 40 s, whichever
-- server process they are connected to.
CREATE TABLE desk_presence (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seen_at      BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
