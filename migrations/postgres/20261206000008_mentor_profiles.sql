-- A person's career-mentor profile: what they last told the career form
-- (or filled in before signing up). One per person, theirs alone, deleted
-- with their account.
CREATE TABLE mentor_profiles (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    interest       TEXT NOT NULL,
    experience     TEXT NOT NULL,
    -- One skill per line (a skill is one line of at most 80 characters).
    skills         TEXT NOT NULL,
    hours_per_week BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
