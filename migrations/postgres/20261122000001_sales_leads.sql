-- Enterprise enquiries from the pricing page's contact-sales form.
CREATE TABLE sales_leads (
    id          TEXT PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    company     TEXT,
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL -- Unix milliseconds
);

CREATE INDEX sales_leads_created_at ON sales_leads (created_at);
