-- The support bot: each workspace's widget settings, conversations with
-- visitors, their messages, monthly usage and analytics events.

CREATE TABLE widget_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    settings     TEXT NOT NULL, -- JSON: app::chat::WidgetSettings
    updated_at   BIGINT NOT NULL
);

CREATE TABLE conversations (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visitor_id          TEXT NOT NULL,
    visitor_email       TEXT,
    origin              TEXT NOT NULL,
    flagged_at          BIGINT,
    flag_reason         TEXT,
    -- Bot answers in a row that could not answer: two means a person should look.
    unanswered_in_a_row INTEGER NOT NULL DEFAULT 0,
    sentiment           TEXT,
    priority            TEXT NOT NULL DEFAULT 'normal',
    message_count       INTEGER NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX conversations_workspace ON conversations (workspace_id, updated_at);
CREATE INDEX conversations_visitor ON conversations (workspace_id, visitor_id, updated_at);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    author            TEXT NOT NULL CHECK (author IN ('visitor', 'bot', 'agent')),
    body              TEXT NOT NULL,
    sentiment_score   REAL,
    sentiment_label   TEXT,
    priority          TEXT,
    citations         TEXT NOT NULL DEFAULT '[]', -- JSON: [app::chat::Citation]
    suggestions       TEXT NOT NULL DEFAULT '[]', -- JSON: [string]
    confidence        REAL,
    answered          INTEGER,
    mode              TEXT, -- 'offline' or the provider's name
    model             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    latency_ms        INTEGER,
    feedback          INTEGER CHECK (feedback IN (-1, 1)),
    note              TEXT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

CREATE TABLE usage_monthly (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    month        TEXT NOT NULL, -- YYYY-MM, UTC
    bot_messages BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, month)
);

CREATE TABLE chat_events (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id TEXT,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '{}', -- JSON
    created_at      BIGINT NOT NULL
);
CREATE INDEX chat_events_workspace ON chat_events (workspace_id, kind, created_at);
