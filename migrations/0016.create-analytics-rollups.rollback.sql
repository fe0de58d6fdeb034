-- Rollback of 0016: drops the rollup tables.
-- squawk-ignore-file ban-drop-table, ban-drop-function
-- Why: a rollback exists to drop exactly the tables and functions its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TABLE IF EXISTS analytics.rollup_runs;
DROP TABLE IF EXISTS analytics.rollup_stale;
DROP TABLE IF EXISTS analytics.student_summary;
DROP TABLE IF EXISTS analytics.course_progress;
DROP TABLE IF EXISTS analytics.course_stops;
DROP TABLE IF EXISTS analytics.lesson_progress;
DROP TABLE IF EXISTS analytics.enrollment_summary;
DROP TABLE IF EXISTS analytics.user_activity;
DROP TABLE IF EXISTS analytics.lesson_activity;
DROP TABLE IF EXISTS analytics.course_activity;
DROP TABLE IF EXISTS analytics.lesson_learners;
DROP TABLE IF EXISTS analytics.course_day_activity;
DROP TABLE IF EXISTS analytics.course_learners;
DROP TABLE IF EXISTS analytics.user_sessions;
DROP TABLE IF EXISTS analytics.cohort_week_activity;
DROP TABLE IF EXISTS analytics.active_students_by_month;
DROP TABLE IF EXISTS analytics.active_students_by_day;
DROP TABLE IF EXISTS analytics.user_day_activity;
DROP FUNCTION IF EXISTS analytics.add_counts(bigint[], bigint[]);
DROP FUNCTION IF EXISTS analytics.histogram(integer[], integer);
DROP FUNCTION IF EXISTS analytics.levels();
DROP FUNCTION IF EXISTS analytics.event_types();
