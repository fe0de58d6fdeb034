-- Rollback of 0017: drops the event-log triggers and their functions.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TRIGGER IF EXISTS behavior_log_fold_events ON analytics.behavior_log;
DROP TRIGGER IF EXISTS behavior_log_rewritten ON analytics.behavior_log;
DROP FUNCTION IF EXISTS analytics.rebuild_event_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_activity_counters();
DROP FUNCTION IF EXISTS analytics.events_rewritten();
DROP FUNCTION IF EXISTS analytics.fold_events();
DROP FUNCTION IF EXISTS analytics.lock_rollups();
