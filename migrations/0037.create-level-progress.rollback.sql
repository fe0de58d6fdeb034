-- Rollback of 0037: no level rollup; the rebuild as 0028 made it.
-- squawk-ignore-file ban-drop-function, ban-drop-table
-- Why: a rollback exists to drop exactly the functions and tables its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP TRIGGER IF EXISTS level_progress_on_insert ON analytics.course_progress;
DROP TRIGGER IF EXISTS level_progress_on_update ON analytics.course_progress;
DROP TRIGGER IF EXISTS level_progress_on_delete ON analytics.course_progress;
DROP TRIGGER IF EXISTS level_progress_on_truncate ON analytics.course_progress;
DROP TRIGGER IF EXISTS level_progress_on_insert ON learning.courses;
DROP TRIGGER IF EXISTS level_progress_on_update ON learning.courses;
DROP TRIGGER IF EXISTS level_progress_on_delete ON learning.courses;

CREATE OR REPLACE FUNCTION analytics.rebuild_rollups() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM analytics.rebuild_learning_rollups();
    PERFORM analytics.rebuild_event_rollups();
    PERFORM analytics.rebuild_cohort_sizes();
    INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('full', started);
    ANALYZE analytics.user_day_activity,
            analytics.active_students_by_day,
            analytics.active_students_by_month,
            analytics.cohort_week_activity,
            analytics.user_sessions,
            analytics.course_learners,
            analytics.course_learner_days,
            analytics.course_day_activity,
            analytics.lesson_learners,
            analytics.course_activity,
            analytics.lesson_activity,
            analytics.user_activity,
            analytics.enrollment_summary,
            analytics.lesson_progress,
            analytics.course_stops,
            analytics.course_progress,
            analytics.student_summary,
            analytics.student_groups,
            analytics.cohort_sizes;
END
$$;
REVOKE ALL ON FUNCTION analytics.rebuild_rollups() FROM PUBLIC;

DROP FUNCTION IF EXISTS analytics.rebuild_level_progress();
DROP FUNCTION IF EXISTS analytics.level_progress_course_leaving();
DROP FUNCTION IF EXISTS analytics.level_progress_from_courses();
DROP FUNCTION IF EXISTS analytics.level_progress_from_course_progress();
DROP FUNCTION IF EXISTS analytics.level_progress_upsert(text);
DROP TABLE IF EXISTS analytics.level_progress;
