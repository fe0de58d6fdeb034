-- Rollback of 0014: drops the client event id.
-- squawk-ignore-file ban-drop-column
-- Why: a rollback exists to drop exactly the column its migration added.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

ALTER TABLE analytics.behavior_log DROP COLUMN IF EXISTS client_event_id;
