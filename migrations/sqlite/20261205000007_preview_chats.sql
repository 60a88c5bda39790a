-- Conversations held in the dashboard's preview of the widget: the team
-- testing, not visitors. They stay out of the conversation lists, the
-- analytics events and the month's quota (the preview has a daily
-- allowance of its own, counted in widget_usage_daily as client 'preview').
ALTER TABLE conversations ADD COLUMN from_preview INTEGER NOT NULL DEFAULT 0;
