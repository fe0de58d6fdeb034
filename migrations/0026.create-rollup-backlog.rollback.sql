-- Rollback of 0026.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP FUNCTION IF EXISTS analytics.rollup_backlog();
