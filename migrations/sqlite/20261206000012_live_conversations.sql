-- A person taking over a conversation from the bot, and the journal that
-- carries a conversation's messages and changes live to the visitor's
-- widget and the agents watching it (server/src/live/).

-- The person answering instead of the bot; NULL while the bot answers.
ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL;
-- The last journal entry's number: taken under the conversation's row lock
-- in the transaction that writes the entry, so numbers commit in order and
-- a reader resuming after N never skips an entry committed later.
ALTER TABLE conversations ADD COLUMN journal_seq BIGINT NOT NULL DEFAULT 0;
-- Who from the team wrote an agent's message, and the name the visitor saw.
ALTER TABLE messages ADD COLUMN author_id TEXT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN author_name TEXT;

CREATE TABLE conversation_journal (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- message | joined | handed_back
    kind            TEXT NOT NULL,
    -- JSON, as the live channel sends it.
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
