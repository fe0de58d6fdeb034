-- Rollback of 0033: 0017's rebuild of the event rollups, and 0032's SHARE lock in every case.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups_from_log() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.user_day_activity, analytics.course_day_activity,
             analytics.course_learners, analytics.lesson_learners, analytics.user_sessions,
             analytics.course_activity, analytics.lesson_activity, analytics.user_activity;
    INSERT INTO analytics.user_day_activity (user_id, day, events)
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log GROUP BY 1, 2;
    PERFORM analytics.rebuild_activity_counters();
    INSERT INTO analytics.course_day_activity (course_id, day, events)
    SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.course_learners (course_id, user_id, events, last_active_day)
    SELECT course_id, user_id, count(*), max((occurred_at AT TIME ZONE 'UTC')::date)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.lesson_learners (lesson_id, user_id, starts, completes, events)
    SELECT lesson_id, user_id, count(*) FILTER (WHERE event_type = 'LESSON_START'),
           count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE'), count(*)
    FROM analytics.behavior_log WHERE lesson_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.user_sessions (user_id, session_id, first_at, last_at)
    SELECT user_id, session_id, min(occurred_at), max(occurred_at)
    FROM analytics.behavior_log GROUP BY 1, 2;
    INSERT INTO analytics.course_activity (course_id, learners, events)
    SELECT course_id, count(*), sum(events) FROM analytics.course_learners GROUP BY 1;
    INSERT INTO analytics.lesson_activity (lesson_id, learners_started, learners_completed, events)
    SELECT lesson_id, count(*) FILTER (WHERE starts > 0), count(*) FILTER (WHERE completes > 0),
           sum(events)
    FROM analytics.lesson_learners GROUP BY 1;
    INSERT INTO analytics.user_activity
        (user_id, events, events_by_hour, events_by_weekday, events_by_type,
         lesson_events_by_level, sessions, session_minutes)
    SELECT u.user_id, u.events, u.by_hour, u.by_weekday, u.by_type, u.by_level, s.sessions,
           s.minutes
    FROM (
        SELECT e.user_id,
               count(*) AS events,
               analytics.histogram(
                   array_agg(extract(hour FROM e.occurred_at AT TIME ZONE 'UTC')::int + 1), 24
               ) AS by_hour,
               analytics.histogram(
                   array_agg(extract(isodow FROM e.occurred_at AT TIME ZONE 'UTC')::int), 7
               ) AS by_weekday,
               analytics.histogram(
                   array_agg(array_position(analytics.event_types(), e.event_type)), 11
               ) AS by_type,
               analytics.histogram(
                   coalesce(array_agg(array_position(analytics.levels(), c.level)) FILTER (
                       WHERE e.event_type IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT',
                                              'VIDEO_PLAY', 'VIDEO_PAUSE')
                   ), '{}'), 3
               ) AS by_level
        FROM analytics.behavior_log AS e
        LEFT JOIN learning.courses AS c ON c.id = e.course_id
        GROUP BY e.user_id
    ) AS u
    JOIN (
        SELECT user_id, count(*) AS sessions,
               sum(extract(epoch FROM last_at - first_at) / 60) AS minutes
        FROM analytics.user_sessions
        GROUP BY 1
    ) AS s ON s.user_id = u.user_id;
    UPDATE analytics.student_summary AS s
    SET last_active_at = (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b
                          WHERE b.user_id = s.user_id);
    DELETE FROM analytics.rollup_stale;
END
$$;

ALTER FUNCTION analytics.rebuild_event_rollups_from_log() RESET ALL;

CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := (SELECT r.horizon FROM analytics.event_retention AS r);
BEGIN
    IF horizon IS NOT NULL
       AND coalesce(current_setting('vedb.discard_dropped_history', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the event rollups cannot be rebuilt without losing history: the log '
                        'holds no event before % (retention dropped those months)', horizon
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'vedb refresh --full --discard-dropped-history rebuilds them from the '
                         'months kept; answers about earlier months then count nothing.';
    END IF;
    LOCK TABLE analytics.behavior_log IN SHARE MODE;
    DELETE FROM analytics.event_queue;
    PERFORM analytics.rebuild_event_rollups_from_log();
END
$$;

DROP FUNCTION IF EXISTS analytics.release_rollups();
DROP FUNCTION IF EXISTS analytics.hold_rollups();
DROP FUNCTION IF EXISTS analytics.weighted_histogram(integer[], bigint[], integer);
DROP FUNCTION IF EXISTS analytics.run_statements(text[]);
DROP FUNCTION IF EXISTS analytics.drop_indexes(regclass[]);
