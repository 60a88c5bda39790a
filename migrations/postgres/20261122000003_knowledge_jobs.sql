-- The knowledge job queue. Sources, documents and chunks live in SurrealDB;
-- the queue lives here so that claiming a job is one transactional UPDATE.
CREATE TABLE knowledge_jobs (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    progress     INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 4,
    run_after    BIGINT NOT NULL,
    lease_until  BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX knowledge_jobs_due ON knowledge_jobs (state, run_after);
CREATE INDEX knowledge_jobs_source ON knowledge_jobs (workspace_id, source_id);

-- Re-sync schedules of URL, sitemap and crawl sources.
CREATE TABLE knowledge_schedules (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source_id    TEXT NOT NULL,
    every_hours  INTEGER NOT NULL,
    next_run_at  BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, source_id)
);
