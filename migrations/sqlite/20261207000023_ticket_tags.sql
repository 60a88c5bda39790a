-- A ticket's tags, the team's own labels: plain lowercase words (letters,
-- digits, dashes; checked in `app::tickets::parse_tags`) kept as one
-- space-separated string with a space at each end (" vip refund "), so a
-- tag is found with LIKE '% vip %' on either SQL backend, and a ticket is
-- read with its tags in one row.
ALTER TABLE tickets ADD COLUMN tags TEXT NOT NULL DEFAULT '';
