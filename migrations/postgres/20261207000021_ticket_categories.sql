-- A workspace's ticket categories with their example messages (JSON; none
-- saved means the defaults).
ALTER TABLE desk_settings ADD COLUMN ticket_categories TEXT;
