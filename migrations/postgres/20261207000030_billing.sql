-- Billing. Who pays is a workspace or a person (`payer`: 'workspace' or
-- 'person', `owner_id` their id); each has at most one Stripe customer and
-- the subscription Stripe last reported for it. The plan in force is still
-- `workspaces.plan` / `users.mentor_plan`, written from this row whenever
-- it changes (or by the operator's `server plan set`).
CREATE TABLE billing_accounts (
    payer            TEXT NOT NULL CHECK (payer IN ('workspace', 'person')),
    owner_id         TEXT NOT NULL,
    customer_id      TEXT UNIQUE,
    subscription_id  TEXT,
    -- The plan subscribed to ('free' without a subscription).
    plan             TEXT NOT NULL DEFAULT 'free',
    billing_interval TEXT,
    -- Stripe's subscription status ('active', 'past_due', …).
    status           TEXT,
    -- When the subscription was created (s): of two, the live and newer one counts.
    subscription_created BIGINT,
    period_start     BIGINT,
    period_end       BIGINT,
    cancel_at        BIGINT,
    trial_end        BIGINT,
    -- While past due: the plan is kept until then.
    grace_ends_at    BIGINT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (payer, owner_id)
);

-- Every webhook event Stripe delivered, recorded before it is answered and
-- applied after (at once, or at the next start-up): a duplicate delivery
-- finds its id here and changes nothing.
CREATE TABLE stripe_events (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    created        BIGINT NOT NULL,
    payload        TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    -- A process applying it holds it until then.
    claimed_until  BIGINT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    applied_at     BIGINT,
    -- What applying it did ("ignored", "synced sub_…", the error).
    outcome        TEXT
);
CREATE INDEX stripe_events_pending ON stripe_events (received_at) WHERE applied_at IS NULL;

-- Every change of a payer's plan in force, and who made it: Stripe (an
-- event) or the operator's command.
CREATE TABLE plan_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payer       TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    from_plan   TEXT NOT NULL,
    to_plan     TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX plan_changes_owner ON plan_changes (payer, owner_id, id);
