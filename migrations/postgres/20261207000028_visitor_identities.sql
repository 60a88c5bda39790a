-- Visitors the business's site identified with a signed token: who they
-- are to the business (its own user id, name, email, plan), as the latest
-- token said. One row per visitor; identified visitors' ids are derived
-- from the business's user id, so a person on two devices is one row.
CREATE TABLE visitor_identities (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visitor_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT,
    email        TEXT,
    plan         TEXT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, visitor_id)
);

-- The identity secret's version (rotating it is a new version; the secret
-- itself is derived from the server key and never stored), and the plans
-- that raise a ticket's priority (JSON).
ALTER TABLE desk_settings ADD COLUMN identity_version TEXT;
ALTER TABLE desk_settings ADD COLUMN plan_priorities TEXT;
