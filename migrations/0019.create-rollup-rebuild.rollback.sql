-- Rollback of 0019: drops the rebuild entry points (the rollups' rows go with 0016's tables).
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP FUNCTION IF EXISTS analytics.catch_up_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_rollups();
