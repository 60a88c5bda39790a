-- A member who set themselves away (1): at the desk or not, routing hands
-- them nothing and visitors are not told they are online.
ALTER TABLE memberships ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
