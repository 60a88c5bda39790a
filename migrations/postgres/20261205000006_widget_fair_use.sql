-- The widget's fair use: answers per UTC day per client (a visitor's
-- address, on IPv6 its /64) and per workspace ('*'), counted here so that
-- every server process enforces the same shares. Rows older than yesterday
-- are deleted hourly.
CREATE TABLE widget_usage_daily (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    day          TEXT NOT NULL, -- YYYY-MM-DD, UTC
    client       TEXT NOT NULL,
    answers      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, client)
);
CREATE INDEX widget_usage_daily_day ON widget_usage_daily (day);
