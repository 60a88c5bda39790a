-- The mentor chat: each person's conversations with the mentor, their
-- messages, and the counters their plan's allowance is checked against.
-- All of it theirs alone and deleted with their account.

-- The career mentor is billed per person, apart from any workspace.
ALTER TABLE users ADD COLUMN mentor_plan TEXT NOT NULL DEFAULT 'free';

CREATE TABLE mentor_conversations (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The first question, shortened.
    title       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX mentor_conversations_user ON mentor_conversations (user_id, updated_at);

CREATE TABLE mentor_messages (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES mentor_conversations(id) ON DELETE CASCADE,
    author           TEXT NOT NULL CHECK (author IN ('person', 'mentor')),
    body             TEXT NOT NULL,
    -- What an answer rests on, one source per line.
    sources          TEXT NOT NULL DEFAULT '',
    -- 'offline' or the provider's name, for answers.
    mode             TEXT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX mentor_messages_conversation ON mentor_messages (conversation_id, created_at);

-- Questions per person per period: 'YYYY-MM' (the plan's month),
-- 'YYYY-MM-DD' (stats and streaks) and 'YYYY-MM-DDTHH' (the hourly limit;
-- pruned after a day). Counted apart from the messages, so deleting a
-- conversation gives no questions back.
CREATE TABLE mentor_usage (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period     TEXT NOT NULL,
    questions  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, period)
);
