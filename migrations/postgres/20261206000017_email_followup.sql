-- Email follow-up: a reply from the team that the visitor has not seen is
-- emailed to them after the workspace's delay, and their answer by email
-- comes back into the conversation.

-- Minutes an unseen reply waits before it is emailed; 0: never emailed.
ALTER TABLE desk_settings ADD COLUMN email_followup_minutes INTEGER NOT NULL DEFAULT 10;
-- When the team's unseen replies are due by email (NULL: none waiting),
-- and the newest reply already emailed, so none is sent twice.
ALTER TABLE conversations ADD COLUMN email_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN emailed_upto BIGINT;
CREATE INDEX conversations_email_due ON conversations (email_due_at);
-- Where the visitor last wrote from: 'widget' or 'email'.
ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'widget';
ALTER TABLE messages ADD COLUMN by_email INTEGER NOT NULL DEFAULT 0;
-- Emails already threaded, by their Message-ID: a forwarder that delivers
-- one twice adds it once.
CREATE TABLE inbound_emails (
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, message_id)
);
