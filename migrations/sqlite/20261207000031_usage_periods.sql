-- A paid plan's allowance runs from one paid invoice to the next: when
-- Stripe says a subscription's invoice was paid (`invoice.paid`), the
-- period it paid for becomes the payer's usage period, and counters are
-- kept under it (`p<start>`) instead of the calendar month.
ALTER TABLE billing_accounts ADD COLUMN usage_period_start BIGINT;
ALTER TABLE billing_accounts ADD COLUMN usage_period_end BIGINT;
