-- What reading a person's résumé found: the skills it names, kept until
-- the person confirms the ones they have (which then join their profile).
-- The file and its text are never kept. One per person: reading another
-- replaces it. Deleted with the account, included in its export.
CREATE TABLE mentor_resumes (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    format        TEXT NOT NULL,
    -- The skills found, one per line.
    found         TEXT NOT NULL,
    years         BIGINT,
    -- The skills the person confirmed, one per line; NULL until they do.
    confirmed     TEXT,
    read_at       BIGINT NOT NULL,
    confirmed_at  BIGINT
);
CREATE UNIQUE INDEX mentor_resumes_user ON mentor_resumes (user_id);
