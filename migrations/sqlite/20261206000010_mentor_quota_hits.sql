-- Questions the mentor refused because a limit was reached, per person,
-- day and limit ('month' or 'hour'): what operators see as quota hits.
CREATE TABLE mentor_quota_hits (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day      TEXT NOT NULL, -- YYYY-MM-DD, UTC
    kind     TEXT NOT NULL CHECK (kind IN ('month', 'hour')),
    hits     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, kind)
);
