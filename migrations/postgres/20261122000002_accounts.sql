-- People, workspaces, sessions, tokens, API keys and the audit log.
-- Timestamps are Unix milliseconds; ids are UUID text; secrets are stored
-- only as SHA-256 hex digests (`*_hash`), never in the clear.

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL,
    name               TEXT NOT NULL,
    password_hash      TEXT NOT NULL,
    purpose            TEXT NOT NULL CHECK (purpose IN ('business', 'mentor')),
    email_verified_at  BIGINT,
    password_changed_at BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL DEFAULT 'free',
    created_at  BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    suspended_at  BIGINT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_addr   TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use links sent by email: verification and password reset.
CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    revoked_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

-- Refresh tokens for non-browser clients. Each login starts a family;
-- every refresh replaces the token; reusing a spent one revokes the family.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE token_families (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX token_families_user ON token_families (user_id);

CREATE TABLE api_keys (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
    name             TEXT NOT NULL,
    display          TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    allowed_origins  TEXT NOT NULL DEFAULT '',
    created_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       BIGINT NOT NULL,
    last_used_at     BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_id      TEXT,
    actor_email   TEXT NOT NULL,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    client_addr   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id);
