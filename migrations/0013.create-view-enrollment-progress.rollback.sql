-- Rollback of 0013: drops the view, so the tables under it can be rolled back too.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- Why: a rollback exists to drop exactly the view its migration created.
-- squawk-ignore ban-drop-view
DROP VIEW IF EXISTS learning.enrollment_progress;
