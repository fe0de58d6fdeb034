-- Rollback of 0036: 0033's rebuild, which writes the rollups in hash-aggregate order. Rows
-- already written in student order stay so; every answer is the same either way.

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
    FROM analytics.behavior_log GROUP BY 1, 2;
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
