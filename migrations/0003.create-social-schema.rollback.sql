-- Rollback of 0003: drops the social domain.
-- squawk-ignore-file ban-drop-table, ban-drop-schema
-- Why: a rollback exists to drop exactly the tables and schema its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS social.follows;
DROP TABLE IF EXISTS social.friendships;
DROP SCHEMA IF EXISTS social;
