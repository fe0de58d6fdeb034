-- Rollback of 0034: no reordering of closed months. The months already reordered keep their
-- order on disk; their rows, and every answer, are the same either way.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly what its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP FUNCTION IF EXISTS analytics.reorder_event_month(regclass);
DROP FUNCTION IF EXISTS analytics.event_months_to_reorder(interval);
