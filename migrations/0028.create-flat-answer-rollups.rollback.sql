-- Rollback of 0028: no rollups of rollups; the rebuild as 0019 made it.
-- squawk-ignore-file ban-drop-function, ban-drop-table
-- Why: a rollback exists to drop exactly the functions and tables its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP TRIGGER IF EXISTS student_groups_on_insert ON analytics.student_summary;
DROP TRIGGER IF EXISTS student_groups_on_update ON analytics.student_summary;
DROP TRIGGER IF EXISTS student_groups_on_delete ON analytics.student_summary;
DROP TRIGGER IF EXISTS student_groups_on_truncate ON analytics.student_summary;
DROP TRIGGER IF EXISTS course_learner_days_on_insert ON analytics.course_learners;
DROP TRIGGER IF EXISTS course_learner_days_on_update ON analytics.course_learners;
DROP TRIGGER IF EXISTS course_learner_days_on_delete ON analytics.course_learners;
DROP TRIGGER IF EXISTS course_learner_days_on_truncate ON analytics.course_learners;
DROP TRIGGER IF EXISTS cohort_sizes_on_insert ON learning.users;
DROP TRIGGER IF EXISTS cohort_sizes_on_update ON learning.users;
DROP TRIGGER IF EXISTS cohort_sizes_on_delete ON learning.users;

-- 0019's rebuild, without cohort_sizes and the ANALYZE of the new tables.
CREATE OR REPLACE FUNCTION analytics.rebuild_rollups() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM analytics.rebuild_learning_rollups();
    PERFORM analytics.rebuild_event_rollups();
    INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('full', started);
    ANALYZE analytics.user_day_activity,
            analytics.active_students_by_day,
            analytics.active_students_by_month,
            analytics.cohort_week_activity,
            analytics.user_sessions,
            analytics.course_learners,
            analytics.course_day_activity,
            analytics.lesson_learners,
            analytics.course_activity,
            analytics.lesson_activity,
            analytics.user_activity,
            analytics.enrollment_summary,
            analytics.lesson_progress,
            analytics.course_stops,
            analytics.course_progress,
            analytics.student_summary;
END
$$;
REVOKE ALL ON FUNCTION analytics.rebuild_rollups() FROM PUBLIC;

DROP FUNCTION IF EXISTS analytics.rebuild_cohort_sizes();
DROP FUNCTION IF EXISTS analytics.student_groups_changed();
DROP FUNCTION IF EXISTS analytics.course_learner_days_changed();
DROP FUNCTION IF EXISTS analytics.cohort_sizes_changed();
DROP FUNCTION IF EXISTS analytics.signed_changes(text, text);
DROP TABLE IF EXISTS analytics.student_groups, analytics.course_learner_days, analytics.cohort_sizes;
