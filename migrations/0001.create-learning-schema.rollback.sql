-- Rollback of 0001: drops the learning domain. Later domains reference it, so they go first.
-- squawk-ignore-file ban-drop-table, ban-drop-schema
-- Why: a rollback exists to drop exactly the tables and schema its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS learning.user_progress;
DROP TABLE IF EXISTS learning.enrollments;
DROP TABLE IF EXISTS learning.lessons;
DROP TABLE IF EXISTS learning.courses;
DROP TABLE IF EXISTS learning.users;
DROP SCHEMA IF EXISTS learning;
