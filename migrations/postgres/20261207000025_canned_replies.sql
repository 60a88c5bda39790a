-- Canned replies: answers the team gives often, under a short name typed
-- after `/` in the reply box (unique in the workspace), with placeholders
-- the page fills (`app::canned_replies`).
CREATE TABLE canned_replies (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    shortcut     TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, shortcut)
);
