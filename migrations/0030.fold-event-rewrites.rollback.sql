-- Rollback of 0030: deletes and rewrites of events queue a full rebuild again; 0027's erasure.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP TRIGGER IF EXISTS behavior_log_deleted ON analytics.behavior_log;
DROP TRIGGER IF EXISTS behavior_log_updated ON analytics.behavior_log;
DROP TRIGGER IF EXISTS behavior_log_truncated ON analytics.behavior_log;

CREATE OR REPLACE FUNCTION analytics.events_rewritten() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('vedb.forgetting_user', true) IS NOT NULL
       AND current_setting('vedb.forgetting_user', true) <> '' THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics.rollup_stale (reason) VALUES (format('%s on analytics.behavior_log', TG_OP));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.forget_user(target bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    who record;
    counted jsonb := '{}';
    n bigint;
BEGIN
    SELECT id, role, date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS cohort_week
    INTO who FROM learning.users WHERE id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user %', target USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT FROM learning.courses WHERE teacher_id = target) THEN
        RAISE EXCEPTION 'user % teaches courses: give them another teacher first', target
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM analytics.lock_rollups();
    PERFORM analytics.fold_pending();

    IF who.role = 'STUDENT' THEN
        UPDATE analytics.active_students_by_day AS t SET active_students = t.active_students - 1
        FROM analytics.user_day_activity AS a
        WHERE a.user_id = target AND t.day = a.day;
        UPDATE analytics.active_students_by_day AS t
        SET active_students_30d = t.active_students_30d - 1
        FROM (SELECT DISTINCT a.day + g AS day
              FROM analytics.user_day_activity AS a, generate_series(0, 29) AS g
              WHERE a.user_id = target) AS w
        WHERE t.day = w.day;
        DELETE FROM analytics.active_students_by_day
        WHERE active_students = 0 AND active_students_30d = 0
          AND day IN (SELECT a.day + g FROM analytics.user_day_activity AS a,
                      generate_series(0, 29) AS g WHERE a.user_id = target);
        UPDATE analytics.active_students_by_month AS t SET active_students = t.active_students - 1
        FROM (SELECT DISTINCT date_trunc('month', day)::date AS month
              FROM analytics.user_day_activity WHERE user_id = target) AS m
        WHERE t.month = m.month;
        DELETE FROM analytics.active_students_by_month WHERE active_students = 0;
        UPDATE analytics.cohort_week_activity AS t SET active_students = t.active_students - 1
        FROM (SELECT DISTINCT (date_trunc('week', day)::date - who.cohort_week) / 7 AS week_number
              FROM analytics.user_day_activity
              WHERE user_id = target AND day >= who.cohort_week) AS w
        WHERE t.cohort_week = who.cohort_week AND t.week_number = w.week_number;
        DELETE FROM analytics.cohort_week_activity WHERE active_students = 0;
    END IF;

    UPDATE analytics.course_day_activity AS t SET events = t.events - e.events
    FROM (SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
          FROM analytics.behavior_log
          WHERE user_id = target AND course_id IS NOT NULL
          GROUP BY 1, 2) AS e
    WHERE t.course_id = e.course_id AND t.day = e.day;
    DELETE FROM analytics.course_day_activity WHERE events <= 0;
    UPDATE analytics.course_activity AS t
    SET learners = t.learners - 1, events = t.events - l.events
    FROM analytics.course_learners AS l
    WHERE l.user_id = target AND t.course_id = l.course_id;
    DELETE FROM analytics.course_activity WHERE learners <= 0;
    UPDATE analytics.lesson_activity AS t
    SET learners_started = t.learners_started - (l.starts > 0)::int,
        learners_completed = t.learners_completed - (l.completes > 0)::int,
        events = t.events - l.events
    FROM analytics.lesson_learners AS l
    WHERE l.user_id = target AND t.lesson_id = l.lesson_id;
    DELETE FROM analytics.lesson_activity WHERE events <= 0;

    DELETE FROM analytics.user_day_activity WHERE user_id = target;
    DELETE FROM analytics.course_learners WHERE user_id = target;
    DELETE FROM analytics.lesson_learners WHERE user_id = target;
    DELETE FROM analytics.user_sessions WHERE user_id = target;
    DELETE FROM analytics.user_activity WHERE user_id = target;

    -- The rows themselves, each table counted. The events' delete queues no rebuild (above).
    PERFORM set_config('vedb.forgetting_user', target::text, true);
    DELETE FROM analytics.behavior_log WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('analytics.behavior_log', n);
    DELETE FROM learning.user_progress WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('learning.user_progress', n);
    DELETE FROM learning.enrollments WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('learning.enrollments', n);
    DELETE FROM gamification.point_ledger WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('gamification.point_ledger', n);
    DELETE FROM gamification.user_achievements WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('gamification.user_achievements', n);
    DELETE FROM gamification.streaks WHERE user_id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('gamification.streaks', n);
    DELETE FROM social.friendships WHERE target IN (requester_id, addressee_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('social.friendships', n);
    DELETE FROM social.follows WHERE target IN (follower_id, followee_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('social.follows', n);
    DELETE FROM learning.users WHERE id = target;
    GET DIAGNOSTICS n = ROW_COUNT;
    counted := counted || jsonb_build_object('learning.users', n);
    -- Only now: the user's delete cascades to the (empty) event log, whose trigger fires too.
    PERFORM set_config('vedb.forgetting_user', '', true);
    RETURN counted;
END
$$;
-- post-apply.sql grants it to vedb_app (the API's admin endpoint).
REVOKE ALL ON FUNCTION analytics.forget_user(bigint) FROM PUBLIC;

CREATE OR REPLACE TRIGGER behavior_log_rewritten
    AFTER UPDATE OR DELETE OR TRUNCATE ON analytics.behavior_log
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();

DROP FUNCTION IF EXISTS analytics.refold_users(bigint[]);
DROP FUNCTION IF EXISTS analytics.unfold_users(bigint[]);
