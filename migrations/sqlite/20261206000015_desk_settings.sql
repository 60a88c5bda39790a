-- The desk's settings per workspace, set by its admins: for now its
-- business hours (JSON: app::business_hours::BusinessHours); routing, SLA
-- policies and canned replies join them.
CREATE TABLE desk_settings (
    workspace_id   TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    business_hours TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
