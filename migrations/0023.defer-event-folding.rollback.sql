-- Rollback of 0023: folds what is queued, then ingest folds in its own transaction again.
-- squawk-ignore-file ban-drop-table,ban-drop-function,renaming-object
-- Why: a rollback exists to drop exactly the queue and functions its migration created, and
-- to give the internal rebuild function its name back.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '5min';

DROP TRIGGER IF EXISTS behavior_log_queue_events ON analytics.behavior_log;
SELECT analytics.fold_pending();
CREATE OR REPLACE TRIGGER behavior_log_fold_events
    AFTER INSERT ON analytics.behavior_log
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.fold_events();
DROP FUNCTION IF EXISTS analytics.rebuild_event_rollups();
ALTER FUNCTION analytics.rebuild_event_rollups_from_log() RENAME TO rebuild_event_rollups;
DROP FUNCTION IF EXISTS analytics.fold_pending(boolean, bigint);
DROP FUNCTION IF EXISTS analytics.queue_events();
DROP FUNCTION IF EXISTS analytics.try_lock_rollups();
DROP TABLE IF EXISTS analytics.event_queue;
