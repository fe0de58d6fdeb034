-- Rollback of 0002: drops the gamification domain.
-- squawk-ignore-file ban-drop-table, ban-drop-schema
-- Why: a rollback exists to drop exactly the tables and schema its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS gamification.user_achievements;
DROP TABLE IF EXISTS gamification.achievements;
DROP TABLE IF EXISTS gamification.streaks;
DROP TABLE IF EXISTS gamification.point_ledger;
DROP SCHEMA IF EXISTS gamification;
