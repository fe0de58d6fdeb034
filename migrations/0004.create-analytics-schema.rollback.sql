-- Rollback of 0004: drops the analytics domain.
-- squawk-ignore-file ban-drop-table, ban-drop-schema
-- Why: a rollback exists to drop exactly the tables and schema its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS analytics.behavior_log;
DROP SCHEMA IF EXISTS analytics;
