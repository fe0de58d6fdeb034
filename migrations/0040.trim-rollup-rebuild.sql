-- The full rebuild (`vedb refresh --full`, the seed's last step) does less work for the same
-- rows (measured side by side on `scale` in docs/performance.md):
--   * course_learner_days' statement triggers on course_learners captured each of the 3.1M
--     rows the rebuild inserts on `scale` into a transition table, then aggregated it. A
--     disabled trigger still captures, so the rebuild drops them, fills course_learner_days
--     from course_learners in one aggregate, and makes them again. The rollups are held
--     exclusively from the TRUNCATE on, so no writer meets course_learners without them.
--   * student_summary.last_active_at was probed from the log student by student (one probe
--     per monthly partition each) in the learning rebuild, then again in the event rebuild,
--     which also rewrote every row (each rewrite a pair of rows in student_groups' transition
--     tables). Both now read user_sessions, whose last_at is a session's last event, and the
--     event rebuild writes only the rows whose value changes.
--   * A row's event type is counted by name and turned into its histogram slot per student,
--     not per event (array_position over 12M rows was 3.5 s of user_activity on `scale`);
--     the hour is date_part's float, not extract's numeric; course_learners takes the UTC day
--     of each group's last event, not of every event.
-- The grouped pass of the log at a (student, session, day, hour) grain feeding three rollups
-- was tried and dropped: its 2.5M groups on `scale` cost more than the scans it saved.
-- depends: 0039.drop-course-day-index

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- The course_learner_days triggers of 0028, as statements the rebuild runs again.
CREATE OR REPLACE FUNCTION analytics.course_learner_days_triggers() RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY[
    'CREATE TRIGGER course_learner_days_on_insert AFTER INSERT ON analytics.course_learners '
    'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
    'EXECUTE FUNCTION analytics.course_learner_days_changed()',
    'CREATE TRIGGER course_learner_days_on_update AFTER UPDATE ON analytics.course_learners '
    'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
    'EXECUTE FUNCTION analytics.course_learner_days_changed()',
    'CREATE TRIGGER course_learner_days_on_delete AFTER DELETE ON analytics.course_learners '
    'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
    'EXECUTE FUNCTION analytics.course_learner_days_changed()'
];

CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups_from_log() RETURNS void
LANGUAGE plpgsql SET work_mem = '256MB' SET maintenance_work_mem = '256MB' AS $$
DECLARE
    remake text[];
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.user_day_activity, analytics.course_day_activity,
             analytics.course_learners, analytics.lesson_learners, analytics.user_sessions,
             analytics.course_activity, analytics.lesson_activity, analytics.user_activity;
    -- TRUNCATE holds these tables exclusively until commit, so nothing reads them indexless
    -- or writes course_learners without its triggers.
    remake := analytics.drop_indexes(ARRAY[
        'analytics.user_day_activity', 'analytics.course_day_activity',
        'analytics.course_learners', 'analytics.lesson_learners', 'analytics.user_sessions',
        'analytics.user_activity'
    ]::regclass[]);
    DROP TRIGGER course_learner_days_on_insert ON analytics.course_learners;
    DROP TRIGGER course_learner_days_on_update ON analytics.course_learners;
    DROP TRIGGER course_learner_days_on_delete ON analytics.course_learners;

    INSERT INTO analytics.user_day_activity (user_id, day, events)
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log GROUP BY 1, 2 ORDER BY 1, 2;
    INSERT INTO analytics.course_day_activity (course_id, day, events)
    SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.course_learners (course_id, user_id, events, last_active_day)
    SELECT course_id, user_id, count(*), (max(occurred_at) AT TIME ZONE 'UTC')::date
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 2, 1 ORDER BY 2, 1;
    -- The TRUNCATE above emptied course_learner_days through its truncate trigger.
    INSERT INTO analytics.course_learner_days (course_id, last_active_day, learners)
    SELECT course_id, last_active_day, count(*) FROM analytics.course_learners GROUP BY 1, 2;
    PERFORM analytics.run_statements(analytics.course_learner_days_triggers());
    INSERT INTO analytics.lesson_learners (lesson_id, user_id, starts, completes, events)
    SELECT lesson_id, user_id, count(*) FILTER (WHERE event_type = 'LESSON_START'),
           count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE'), count(*)
    FROM analytics.behavior_log WHERE lesson_id IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1;
    INSERT INTO analytics.course_activity (course_id, learners, events)
    SELECT course_id, count(*), sum(events) FROM analytics.course_learners GROUP BY 1;
    INSERT INTO analytics.lesson_activity (lesson_id, learners_started, learners_completed, events)
    SELECT lesson_id, count(*) FILTER (WHERE starts > 0), count(*) FILTER (WHERE completes > 0),
           sum(events)
    FROM analytics.lesson_learners GROUP BY 1;
    INSERT INTO analytics.user_sessions (user_id, session_id, first_at, last_at)
    SELECT user_id, session_id, min(occurred_at), max(occurred_at)
    FROM analytics.behavior_log GROUP BY 1, 2 ORDER BY 1, 2;
    INSERT INTO analytics.user_activity
        (user_id, events, events_by_hour, events_by_weekday, events_by_type,
         lesson_events_by_level, sessions, session_minutes)
    WITH by_hour AS (
        SELECT user_id, sum(n) AS events,
               analytics.weighted_histogram(array_agg(hour), array_agg(n), 24) AS counts
        FROM (SELECT user_id, date_part('hour', occurred_at AT TIME ZONE 'UTC')::int + 1 AS hour,
                     count(*) AS n
              FROM analytics.behavior_log GROUP BY 1, 2) AS h
        GROUP BY 1
    ),
    by_type AS (
        SELECT user_id, analytics.weighted_histogram(array_agg(type), array_agg(n), 11) AS counts
        FROM (SELECT user_id, array_position(analytics.event_types(), event_type) AS type, n
              FROM (SELECT user_id, event_type, count(*) AS n
                    FROM analytics.behavior_log GROUP BY 1, 2) AS named) AS t
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
    SET last_active_at = l.last_at
    FROM (
        SELECT s.user_id, max(u.last_at) AS last_at
        FROM analytics.student_summary AS s
        LEFT JOIN analytics.user_sessions AS u ON u.user_id = s.user_id
        GROUP BY 1
    ) AS l
    WHERE l.user_id = s.user_id AND s.last_active_at IS DISTINCT FROM l.last_at;
    DELETE FROM analytics.rollup_stale;
END
$$;

-- 0018's, with each student's last event from user_sessions: one probe of one index, where
-- the log needs one per monthly partition.
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
           (SELECT max(t.last_at) FROM analytics.user_sessions AS t WHERE t.user_id = u.id)
    FROM learning.users AS u
    LEFT JOIN analytics.enrollment_summary AS es ON es.user_id = u.id
    WHERE u.role = 'STUDENT'
    GROUP BY u.id;
END
$$;
