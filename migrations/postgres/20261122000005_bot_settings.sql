-- How each workspace's bot speaks: persona, instructions and model. Kept
-- apart from widget_settings because the widget reads those in public.

CREATE TABLE bot_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    settings     TEXT NOT NULL, -- JSON: app::chat::BotSettings
    updated_at   BIGINT NOT NULL
);
