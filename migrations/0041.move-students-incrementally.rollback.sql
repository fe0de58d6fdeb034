-- Rollback of 0041: 0018's users trigger, which queues a rebuild of the event rollups after a
-- changed role or signup time, and 0019's catch-up.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.users_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    user_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id) INTO user_ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id) INTO user_ids FROM old_rows;
    ELSE
        -- Points change all the time; only a role or signup change moves a rollup.
        SELECT array_agg(n.id) INTO user_ids
        FROM new_rows AS n
        JOIN old_rows AS o ON o.id = n.id
        WHERE o.role IS DISTINCT FROM n.role OR o.created_at IS DISTINCT FROM n.created_at;
    END IF;
    IF user_ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM analytics.refresh_students(user_ids);
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO analytics.rollup_stale (reason)
        VALUES (format('role or signup time of %s user(s) changed', cardinality(user_ids)));
    END IF;
    RETURN NULL;
END
$$;

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

DROP FUNCTION IF EXISTS analytics.move_students();
