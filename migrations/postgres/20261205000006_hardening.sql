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

-- Proof-of-work challenges already spent on an answer: one solution buys
-- one answer, in every server process. Expired rows are deleted hourly.
CREATE TABLE widget_challenges_spent (
    nonce      TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- Leases of a job that lapsed (its process died mid-job): after the third
-- the job fails instead of crashing every start. Counted apart from
-- attempts, which retries after passing errors also use.
ALTER TABLE knowledge_jobs ADD COLUMN lapses INTEGER NOT NULL DEFAULT 0;

-- One running job per workspace, in every process: so one tenant's long
-- crawl or many uploads leave the workers to others, and a workspace's
-- chunk count is never checked by two jobs at once. Jobs left running by
-- the old queue (several per workspace) go back to the queue first.
UPDATE knowledge_jobs SET state = 'queued', lease_until = NULL
WHERE state = 'processing'
  AND id NOT IN (SELECT MIN(id) FROM knowledge_jobs WHERE state = 'processing' GROUP BY workspace_id);
CREATE UNIQUE INDEX knowledge_jobs_one_running ON knowledge_jobs (workspace_id) WHERE state = 'processing';
