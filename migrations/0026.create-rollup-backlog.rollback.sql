-- Rollback of 0026: the postgres exporter's backlog query then fails, and only it.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP FUNCTION IF EXISTS analytics.rollup_backlog();
