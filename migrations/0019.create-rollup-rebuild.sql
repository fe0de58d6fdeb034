-- The two entry points of `vedb refresh`, and the first build of the rollups.
-- Both run as their owner (SECURITY DEFINER), so the API's login can run the refresh timer
-- without owning the rollups; post-apply.sql grants them to vedb_app only.
-- depends: 0018.create-learning-rollup-maintenance

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- Every rollup, in full (`vedb refresh --full`, and the seeder after its load).
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

-- What the timer runs: rebuild the event rollups only while something is queued.
CREATE OR REPLACE FUNCTION analytics.catch_up_rollups() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    queued bigint;
BEGIN
    PERFORM analytics.lock_rollups();
    SELECT count(*) INTO queued FROM analytics.rollup_stale;
    IF queued > 0 THEN
        PERFORM analytics.rebuild_event_rollups();
        INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('catch-up', started);
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
    END IF;
    RETURN queued;
END
$$;
REVOKE ALL ON FUNCTION analytics.catch_up_rollups() FROM PUBLIC;

-- The rollups start complete on an existing database (a minute or two for 12M events).
SET LOCAL statement_timeout = '30min';
SET LOCAL work_mem = '256MB';
SELECT analytics.rebuild_rollups();
