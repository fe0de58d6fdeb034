-- Keeps the event rollups of 0016 current in the writing transaction, and rebuilds them.
--   A statement trigger on analytics.behavior_log folds each inserted batch in, from its
--   transition table: one set-based statement, so a batch of 500 costs one pass, not 500.
--   Deleted or rewritten events queue a rebuild instead (analytics.rollup_stale), which
--   `vedb refresh` runs.
-- All rollup maintenance takes one transaction-level advisory lock, so concurrent writers fold
-- in one after another and every "is this student new here?" test sees the other's rows.
-- depends: 0016.create-analytics-rollups

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.lock_rollups() RETURNS void
LANGUAGE sql VOLATILE
RETURN pg_advisory_xact_lock(7365, 1);

-- Folds one batch of new events (the transition table new_events) into every event rollup.
-- One statement: each part tests membership against the rollups as they were before it.
CREATE OR REPLACE FUNCTION analytics.fold_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    WITH batch AS (
        SELECT e.user_id, (e.occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
        FROM new_events AS e
        GROUP BY 1, 2
    ),
    -- Students' days that were not in the rollup before this batch.
    fresh AS (
        SELECT b.user_id,
               b.day,
               date_trunc('week', u.created_at AT TIME ZONE 'UTC')::date AS cohort_week
        FROM batch AS b
        JOIN learning.users AS u ON u.id = b.user_id AND u.role = 'STUDENT'
        WHERE NOT EXISTS (SELECT FROM analytics.user_day_activity AS a
                          WHERE a.user_id = b.user_id AND a.day = b.day)
    ),
    -- Days whose 30-day window gains the student: [day, day + 29] minus what the nearest
    -- earlier day (prev + 29) and the nearest later day (from next on) already cover.
    covered AS (
        SELECT DISTINCT f.user_id, f.day + g.offset_days AS day
        FROM fresh AS f
        CROSS JOIN LATERAL (
            SELECT max(a.day) AS prev FROM analytics.user_day_activity AS a
            WHERE a.user_id = f.user_id AND a.day < f.day
        ) AS p
        CROSS JOIN LATERAL (
            SELECT min(a.day) AS next FROM analytics.user_day_activity AS a
            WHERE a.user_id = f.user_id AND a.day > f.day
        ) AS n
        CROSS JOIN LATERAL generate_series(
            greatest(0, p.prev + 30 - f.day), least(29, n.next - 1 - f.day)
        ) AS g (offset_days)
    ),
    day_counts AS (
        SELECT day, sum(dau) AS dau, sum(rolling) AS rolling
        FROM (
            SELECT day, count(*) AS dau, 0 AS rolling FROM fresh GROUP BY day
            UNION ALL
            SELECT day, 0, count(*) FROM covered GROUP BY day
        ) AS c
        GROUP BY day
    ),
    up_days AS (
        INSERT INTO analytics.active_students_by_day AS t (day, active_students, active_students_30d)
        SELECT day, dau, rolling FROM day_counts ORDER BY day
        ON CONFLICT (day) DO UPDATE
        SET active_students = t.active_students + EXCLUDED.active_students,
            active_students_30d = t.active_students_30d + EXCLUDED.active_students_30d
    ),
    up_months AS (
        INSERT INTO analytics.active_students_by_month AS t (month, active_students)
        SELECT m.month, count(DISTINCT f.user_id)
        FROM fresh AS f
        CROSS JOIN LATERAL (SELECT date_trunc('month', f.day)::date AS month) AS m
        WHERE NOT EXISTS (SELECT FROM analytics.user_day_activity AS a
                          WHERE a.user_id = f.user_id AND a.day >= m.month
                            AND a.day < (m.month + interval '1 month')::date)
        GROUP BY m.month
        ORDER BY m.month
        ON CONFLICT (month) DO UPDATE SET active_students = t.active_students + EXCLUDED.active_students
    ),
    up_cohorts AS (
        INSERT INTO analytics.cohort_week_activity AS t (cohort_week, week_number, active_students)
        SELECT f.cohort_week, (w.week - f.cohort_week) / 7, count(DISTINCT f.user_id)
        FROM fresh AS f
        CROSS JOIN LATERAL (SELECT date_trunc('week', f.day)::date AS week) AS w
        WHERE f.day >= f.cohort_week
          AND NOT EXISTS (SELECT FROM analytics.user_day_activity AS a
                          WHERE a.user_id = f.user_id AND a.day >= w.week AND a.day < w.week + 7)
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (cohort_week, week_number) DO UPDATE
        SET active_students = t.active_students + EXCLUDED.active_students
    ),
    up_user_days AS (
        INSERT INTO analytics.user_day_activity AS t (user_id, day, events)
        SELECT user_id, day, events FROM batch ORDER BY user_id, day
        ON CONFLICT (user_id, day) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    up_course_days AS (
        INSERT INTO analytics.course_day_activity AS t (course_id, day, events)
        SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
        FROM new_events
        WHERE course_id IS NOT NULL
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (course_id, day) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    course_batch AS (
        SELECT course_id, user_id, count(*) AS events,
               max((occurred_at AT TIME ZONE 'UTC')::date) AS last_day
        FROM new_events
        WHERE course_id IS NOT NULL
        GROUP BY 1, 2
    ),
    up_course_learners AS (
        INSERT INTO analytics.course_learners AS t (course_id, user_id, events, last_active_day)
        SELECT course_id, user_id, events, last_day FROM course_batch ORDER BY 1, 2
        ON CONFLICT (course_id, user_id) DO UPDATE
        SET events = t.events + EXCLUDED.events,
            last_active_day = greatest(t.last_active_day, EXCLUDED.last_active_day)
        -- A row the upsert inserted has no xmax: a learner new to the course.
        RETURNING t.course_id, t.xmax = 0 AS new_learner
    ),
    up_course_activity AS (
        INSERT INTO analytics.course_activity AS t (course_id, learners, events)
        SELECT b.course_id, coalesce(l.learners, 0), b.events
        FROM (SELECT course_id, sum(events) AS events FROM course_batch GROUP BY 1) AS b
        LEFT JOIN (
            SELECT course_id, count(*) FILTER (WHERE new_learner) AS learners
            FROM up_course_learners
            GROUP BY 1
        ) AS l ON l.course_id = b.course_id
        ORDER BY b.course_id
        ON CONFLICT (course_id) DO UPDATE
        SET learners = t.learners + EXCLUDED.learners, events = t.events + EXCLUDED.events
    ),
    lesson_batch AS (
        SELECT lesson_id,
               user_id,
               count(*) FILTER (WHERE event_type = 'LESSON_START') AS starts,
               count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE') AS completes,
               count(*) AS events
        FROM new_events
        WHERE lesson_id IS NOT NULL
        GROUP BY 1, 2
    ),
    up_lesson_learners AS (
        INSERT INTO analytics.lesson_learners AS t (lesson_id, user_id, starts, completes, events)
        SELECT lesson_id, user_id, starts, completes, events FROM lesson_batch ORDER BY 1, 2
        ON CONFLICT (lesson_id, user_id) DO UPDATE
        SET starts = t.starts + EXCLUDED.starts,
            completes = t.completes + EXCLUDED.completes,
            events = t.events + EXCLUDED.events
        RETURNING t.lesson_id, t.user_id, t.starts, t.completes
    ),
    up_lesson_activity AS (
        INSERT INTO analytics.lesson_activity AS t
            (lesson_id, learners_started, learners_completed, events)
        SELECT b.lesson_id,
               -- Counts before the batch are the new counts less the batch's own.
               count(*) FILTER (WHERE b.starts > 0 AND n.starts = b.starts),
               count(*) FILTER (WHERE b.completes > 0 AND n.completes = b.completes),
               sum(b.events)
        FROM lesson_batch AS b
        JOIN up_lesson_learners AS n ON n.lesson_id = b.lesson_id AND n.user_id = b.user_id
        GROUP BY b.lesson_id
        ORDER BY b.lesson_id
        ON CONFLICT (lesson_id) DO UPDATE
        SET learners_started = t.learners_started + EXCLUDED.learners_started,
            learners_completed = t.learners_completed + EXCLUDED.learners_completed,
            events = t.events + EXCLUDED.events
    ),
    session_batch AS (
        SELECT user_id, session_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
        FROM new_events
        GROUP BY 1, 2
    ),
    session_known AS (
        SELECT s.user_id, s.session_id, s.first_at, s.last_at
        FROM analytics.user_sessions AS s
        JOIN session_batch AS b ON b.user_id = s.user_id AND b.session_id = s.session_id
    ),
    up_sessions AS (
        INSERT INTO analytics.user_sessions AS t (user_id, session_id, first_at, last_at)
        SELECT user_id, session_id, first_at, last_at FROM session_batch ORDER BY 1, 2
        ON CONFLICT (user_id, session_id) DO UPDATE
        SET first_at = least(t.first_at, EXCLUDED.first_at),
            last_at = greatest(t.last_at, EXCLUDED.last_at)
    ),
    -- New sessions, and how many minutes the sessions gained (a known one may grow).
    session_deltas AS (
        SELECT b.user_id,
               count(*) FILTER (WHERE k.session_id IS NULL) AS sessions,
               sum(extract(epoch FROM greatest(b.last_at, k.last_at) - least(b.first_at, k.first_at)) / 60
                   - coalesce(extract(epoch FROM k.last_at - k.first_at) / 60, 0)) AS minutes
        FROM session_batch AS b
        LEFT JOIN session_known AS k ON k.user_id = b.user_id AND k.session_id = b.session_id
        GROUP BY b.user_id
    ),
    user_batch AS (
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
        FROM new_events AS e
        LEFT JOIN learning.courses AS c ON c.id = e.course_id
        GROUP BY e.user_id
    ),
    up_user_activity AS (
        INSERT INTO analytics.user_activity AS t
            (user_id, events, events_by_hour, events_by_weekday, events_by_type,
             lesson_events_by_level, sessions, session_minutes)
        SELECT u.user_id, u.events, u.by_hour, u.by_weekday, u.by_type, u.by_level,
               d.sessions, d.minutes
        FROM user_batch AS u
        JOIN session_deltas AS d ON d.user_id = u.user_id
        ORDER BY u.user_id
        ON CONFLICT (user_id) DO UPDATE
        SET events = t.events + EXCLUDED.events,
            events_by_hour = analytics.add_counts(t.events_by_hour, EXCLUDED.events_by_hour),
            events_by_weekday = analytics.add_counts(t.events_by_weekday, EXCLUDED.events_by_weekday),
            events_by_type = analytics.add_counts(t.events_by_type, EXCLUDED.events_by_type),
            lesson_events_by_level = analytics.add_counts(t.lesson_events_by_level,
                                                          EXCLUDED.lesson_events_by_level),
            sessions = t.sessions + EXCLUDED.sessions,
            session_minutes = t.session_minutes + EXCLUDED.session_minutes
    )
    UPDATE analytics.student_summary AS s
    SET last_active_at = b.last_at
    FROM (SELECT user_id, max(occurred_at) AS last_at FROM new_events GROUP BY user_id) AS b
    WHERE s.user_id = b.user_id
      AND (s.last_active_at IS NULL OR s.last_active_at < b.last_at);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.events_rewritten() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.rollup_stale (reason) VALUES (format('%s on analytics.behavior_log', TG_OP));
    RETURN NULL;
END
$$;

-- Distinct-student counters from analytics.user_day_activity, in full.
CREATE OR REPLACE FUNCTION analytics.rebuild_activity_counters() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE analytics.active_students_by_day, analytics.active_students_by_month,
             analytics.cohort_week_activity;
    -- Each student day starts a stretch of coverage that ends 29 days later or the day before
    -- the student's next active day: the stretches never overlap, so the 30-day count of a
    -- day is a running sum of +1 at each start and -1 after each end.
    INSERT INTO analytics.active_students_by_day (day, active_students, active_students_30d)
    WITH student_days AS (
        SELECT a.user_id, a.day, lead(a.day) OVER (PARTITION BY a.user_id ORDER BY a.day) AS next_day
        FROM analytics.user_day_activity AS a
        JOIN learning.users AS u ON u.id = a.user_id AND u.role = 'STUDENT'
    ),
    changes AS (
        SELECT day, sum(dau) AS dau, sum(delta) AS delta
        FROM (
            SELECT day, 1 AS dau, 1 AS delta FROM student_days
            UNION ALL
            SELECT least(day + 29, next_day - 1) + 1, 0, -1 FROM student_days
        ) AS c
        GROUP BY day
    ),
    span AS (SELECT min(day) AS first_day, max(day) AS last_day FROM changes)
    SELECT d.day, coalesce(c.dau, 0), sum(coalesce(c.delta, 0)) OVER (ORDER BY d.day)
    FROM span AS s
    CROSS JOIN LATERAL generate_series(s.first_day, s.last_day, interval '1 day') AS g (ts)
    CROSS JOIN LATERAL (SELECT g.ts::date AS day) AS d
    LEFT JOIN changes AS c ON c.day = d.day;

    INSERT INTO analytics.active_students_by_month (month, active_students)
    SELECT date_trunc('month', a.day)::date, count(DISTINCT a.user_id)
    FROM analytics.user_day_activity AS a
    JOIN learning.users AS u ON u.id = a.user_id AND u.role = 'STUDENT'
    GROUP BY 1;

    INSERT INTO analytics.cohort_week_activity (cohort_week, week_number, active_students)
    SELECT c.cohort_week, (date_trunc('week', a.day)::date - c.cohort_week) / 7,
           count(DISTINCT a.user_id)
    FROM analytics.user_day_activity AS a
    JOIN learning.users AS u ON u.id = a.user_id AND u.role = 'STUDENT'
    CROSS JOIN LATERAL (
        SELECT date_trunc('week', u.created_at AT TIME ZONE 'UTC')::date AS cohort_week
    ) AS c
    WHERE a.day >= c.cohort_week
    GROUP BY 1, 2;
END
$$;

-- Every event rollup from analytics.behavior_log, in full; clears the stale queue.
CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups() RETURNS void
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

CREATE OR REPLACE TRIGGER behavior_log_fold_events
    AFTER INSERT ON analytics.behavior_log
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.fold_events();
CREATE OR REPLACE TRIGGER behavior_log_rewritten
    AFTER UPDATE OR DELETE OR TRUNCATE ON analytics.behavior_log
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();

