-- Rollback of 0040: 0036's event rebuild, which lets course_learner_days' triggers follow
-- course_learners' inserts, and 0018's learning rebuild, which reads each student's last
-- event from the log. The triggers stand either way: 0040's rebuild makes them again
-- before it returns. The rows are the same.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups_from_log() RETURNS void
LANGUAGE plpgsql SET work_mem = '256MB' SET maintenance_work_mem = '256MB' AS $$
DECLARE
    remake text[];
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.user_day_activity, analytics.course_day_activity,
             analytics.course_learners, analytics.lesson_learners, analytics.user_sessions,
             analytics.course_activity, analytics.lesson_activity, analytics.user_activity;
    -- TRUNCATE holds these tables exclusively until commit, so nothing reads them indexless.
    remake := analytics.drop_indexes(ARRAY[
        'analytics.user_day_activity', 'analytics.course_day_activity',
        'analytics.course_learners', 'analytics.lesson_learners', 'analytics.user_sessions',
        'analytics.user_activity'
    ]::regclass[]);
    INSERT INTO analytics.user_day_activity (user_id, day, events)
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log GROUP BY 1, 2 ORDER BY 1, 2;
    INSERT INTO analytics.course_day_activity (course_id, day, events)
    SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.course_learners (course_id, user_id, events, last_active_day)
    SELECT course_id, user_id, count(*), max((occurred_at AT TIME ZONE 'UTC')::date)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1;
    INSERT INTO analytics.lesson_learners (lesson_id, user_id, starts, completes, events)
    SELECT lesson_id, user_id, count(*) FILTER (WHERE event_type = 'LESSON_START'),
           count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE'), count(*)
    FROM analytics.behavior_log WHERE lesson_id IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1;
    INSERT INTO analytics.user_sessions (user_id, session_id, first_at, last_at)
    SELECT user_id, session_id, min(occurred_at), max(occurred_at)
    FROM analytics.behavior_log GROUP BY 1, 2 ORDER BY 1, 2;
    INSERT INTO analytics.course_activity (course_id, learners, events)
    SELECT course_id, count(*), sum(events) FROM analytics.course_learners GROUP BY 1;
    INSERT INTO analytics.lesson_activity (lesson_id, learners_started, learners_completed, events)
    SELECT lesson_id, count(*) FILTER (WHERE starts > 0), count(*) FILTER (WHERE completes > 0),
           sum(events)
    FROM analytics.lesson_learners GROUP BY 1;
    INSERT INTO analytics.user_activity
        (user_id, events, events_by_hour, events_by_weekday, events_by_type,
         lesson_events_by_level, sessions, session_minutes)
    WITH by_hour AS (
        SELECT user_id, sum(n) AS events,
               analytics.weighted_histogram(array_agg(hour), array_agg(n), 24) AS counts
        FROM (SELECT user_id, extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int + 1 AS hour,
                     count(*) AS n
              FROM analytics.behavior_log GROUP BY 1, 2) AS h
        GROUP BY 1
    ),
    by_type AS (
        SELECT user_id, analytics.weighted_histogram(array_agg(type), array_agg(n), 11) AS counts
        FROM (SELECT user_id, array_position(analytics.event_types(), event_type) AS type,
                     count(*) AS n
              FROM analytics.behavior_log GROUP BY 1, 2) AS t
        GROUP BY 1
    ),
    by_level AS (
        SELECT user_id, analytics.weighted_histogram(array_agg(level), array_agg(n), 3) AS counts
        FROM (SELECT e.user_id, array_position(analytics.levels(), c.level) AS level,
                     count(*) AS n
              FROM analytics.behavior_log AS e
              JOIN learning.courses AS c ON c.id = e.course_id
              WHERE e.event_type IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT',
                                     'VIDEO_PLAY', 'VIDEO_PAUSE')
              GROUP BY 1, 2) AS l
        GROUP BY 1
    ),
    by_weekday AS (
        SELECT user_id, analytics.weighted_histogram(array_agg(weekday), array_agg(n), 7) AS counts
        FROM (SELECT user_id, extract(isodow FROM day)::int AS weekday, sum(events)::bigint AS n
              FROM analytics.user_day_activity GROUP BY 1, 2) AS w
        GROUP BY 1
    ),
    sessions AS (
        SELECT user_id, count(*) AS sessions,
               sum(extract(epoch FROM last_at - first_at) / 60) AS minutes
        FROM analytics.user_sessions
        GROUP BY 1
    )
    SELECT h.user_id, h.events, h.counts, w.counts, t.counts,
           coalesce(l.counts, array_fill(0::bigint, ARRAY[3])), s.sessions, s.minutes
    FROM by_hour AS h
    JOIN by_type AS t ON t.user_id = h.user_id
    JOIN by_weekday AS w ON w.user_id = h.user_id
    JOIN sessions AS s ON s.user_id = h.user_id
    LEFT JOIN by_level AS l ON l.user_id = h.user_id;
    PERFORM analytics.run_statements(remake);
    PERFORM analytics.rebuild_activity_counters();
    UPDATE analytics.student_summary AS s
    SET last_active_at = (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b
                          WHERE b.user_id = s.user_id);
    DELETE FROM analytics.rollup_stale;
END
$$;

CREATE OR REPLACE FUNCTION analytics.rebuild_learning_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.enrollment_summary, analytics.course_progress, analytics.course_stops,
             analytics.lesson_progress, analytics.student_summary;
    INSERT INTO analytics.enrollment_summary
    SELECT e.user_id, e.course_id, e.enrolled_at, coalesce(lc.lessons, 0),
           coalesce(p.started, 0), coalesce(p.completed, 0), p.furthest
    FROM learning.enrollments AS e
    LEFT JOIN (
        SELECT course_id, count(*) AS lessons FROM learning.lessons GROUP BY course_id
    ) AS lc ON lc.course_id = e.course_id
    LEFT JOIN (
        SELECT up.user_id,
               up.course_id,
               count(*) FILTER (WHERE up.status <> 'NOT_STARTED') AS started,
               count(*) FILTER (WHERE up.status = 'COMPLETED') AS completed,
               max(l.position) FILTER (WHERE up.status <> 'NOT_STARTED') AS furthest
        FROM learning.user_progress AS up
        JOIN learning.lessons AS l ON l.id = up.lesson_id
        GROUP BY up.user_id, up.course_id
    ) AS p ON p.user_id = e.user_id AND p.course_id = e.course_id;
    INSERT INTO analytics.course_progress (course_id, enrollments, started, halfway, completed)
    SELECT course_id,
           count(*),
           count(*) FILTER (WHERE started_lessons > 0),
           count(*) FILTER (WHERE lessons > 0 AND completed_lessons * 2 >= lessons),
           count(*) FILTER (WHERE lessons > 0 AND completed_lessons = lessons)
    FROM analytics.enrollment_summary
    GROUP BY course_id;
    INSERT INTO analytics.course_stops (course_id, position, learners)
    SELECT course_id, furthest_position, count(*)
    FROM analytics.enrollment_summary
    WHERE furthest_position IS NOT NULL AND completed_lessons < lessons
    GROUP BY 1, 2;
    INSERT INTO analytics.lesson_progress (lesson_id, started, completed)
    SELECT lesson_id,
           count(*) FILTER (WHERE status <> 'NOT_STARTED'),
           count(*) FILTER (WHERE status = 'COMPLETED')
    FROM learning.user_progress
    GROUP BY lesson_id;
    INSERT INTO analytics.student_summary
    SELECT u.id,
           count(es.course_id),
           min(es.enrolled_at),
           avg(coalesce(es.completed_lessons::numeric / NULLIF(es.lessons, 0), 0))
               FILTER (WHERE es.course_id IS NOT NULL),
           count(*) FILTER (WHERE es.lessons > 0 AND es.completed_lessons = es.lessons),
           coalesce(sum(es.completed_lessons), 0),
           EXISTS (SELECT FROM gamification.user_achievements AS a WHERE a.user_id = u.id)
           OR EXISTS (SELECT FROM gamification.streaks AS s
                      WHERE s.user_id = u.id AND s.longest_days > 0),
           (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b WHERE b.user_id = u.id)
    FROM learning.users AS u
    LEFT JOIN analytics.enrollment_summary AS es ON es.user_id = u.id
    WHERE u.role = 'STUDENT'
    GROUP BY u.id;
END
$$;

DROP FUNCTION IF EXISTS analytics.course_learner_days_triggers();
