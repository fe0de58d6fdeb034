-- Rollback of 0012: drops the seed-run record.
-- squawk-ignore-file ban-drop-table, ban-drop-schema
-- Why: a rollback exists to drop exactly the tables and schema its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS ops.seed_runs;
DROP SCHEMA IF EXISTS ops;
