-- Keeps the rollups of 0016 current in the writing transaction, and rebuilds them in full.
--   Events: a statement trigger on analytics.behavior_log folds each inserted batch in, from
--   its transition table (set-based, so a batch of 500 costs one pass, not 500).
--   Learning: statement triggers on enrollments, progress, lessons, users and gamification
--   recompute the affected courses and students from their source rows.
--   Deleted or rewritten events, and a changed role or signup time, queue a rebuild of the
--   event rollups instead (analytics.rollup_stale); `vedb refresh` runs it.
-- All maintenance takes one transaction-level advisory lock, so concurrent writers fold in
-- one after another and every "is this student new here?" test sees the other's rows.
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
    up_course_learners AS (
        INSERT INTO analytics.course_learners AS t (course_id, user_id, events, last_active_at)
        SELECT course_id, user_id, count(*), max(occurred_at)
        FROM new_events
        WHERE course_id IS NOT NULL
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (course_id, user_id) DO UPDATE
        SET events = t.events + EXCLUDED.events,
            last_active_at = greatest(t.last_active_at, EXCLUDED.last_active_at)
    ),
    up_lesson_learners AS (
        INSERT INTO analytics.lesson_learners AS t (lesson_id, user_id, starts, completes, events)
        SELECT lesson_id,
               user_id,
               count(*) FILTER (WHERE event_type = 'LESSON_START'),
               count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE'),
               count(*)
        FROM new_events
        WHERE lesson_id IS NOT NULL
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (lesson_id, user_id) DO UPDATE
        SET starts = t.starts + EXCLUDED.starts,
            completes = t.completes + EXCLUDED.completes,
            events = t.events + EXCLUDED.events
    ),
    up_hours AS (
        INSERT INTO analytics.user_events_by_hour AS t (user_id, hour, events)
        SELECT user_id, extract(hour FROM occurred_at AT TIME ZONE 'UTC'), count(*)
        FROM new_events
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (user_id, hour) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    up_weekdays AS (
        INSERT INTO analytics.user_events_by_weekday AS t (user_id, isodow, events)
        SELECT user_id, extract(isodow FROM occurred_at AT TIME ZONE 'UTC'), count(*)
        FROM new_events
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (user_id, isodow) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    up_types AS (
        INSERT INTO analytics.user_events_by_type AS t (user_id, event_type, events)
        SELECT user_id, event_type, count(*)
        FROM new_events
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (user_id, event_type) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    up_levels AS (
        INSERT INTO analytics.user_lesson_events_by_level AS t (user_id, level, events)
        SELECT e.user_id, c.level, count(*)
        FROM new_events AS e
        JOIN learning.courses AS c ON c.id = e.course_id
        WHERE e.event_type IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY',
                               'VIDEO_PAUSE')
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (user_id, level) DO UPDATE SET events = t.events + EXCLUDED.events
    ),
    up_sessions AS (
        INSERT INTO analytics.user_sessions AS t (user_id, session_id, first_at, last_at)
        SELECT user_id, session_id, min(occurred_at), max(occurred_at)
        FROM new_events
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (user_id, session_id) DO UPDATE
        SET first_at = least(t.first_at, EXCLUDED.first_at),
            last_at = greatest(t.last_at, EXCLUDED.last_at)
    )
    UPDATE analytics.student_summary AS s
    SET last_active_at = b.last_at
    FROM (SELECT user_id, max(occurred_at) AS last_at FROM new_events GROUP BY user_id) AS b
    WHERE s.user_id = b.user_id
      AND (s.last_active_at IS NULL OR s.last_active_at < b.last_at);
    RETURN NULL;
END
$$;

-- Per enrollment of the given users or courses: lesson count, lessons started and completed.
-- The same definition as the learning.enrollment_progress view, by index for a few keys.
CREATE OR REPLACE FUNCTION analytics.enrollments_of(user_ids bigint[], course_ids bigint[])
RETURNS TABLE (user_id bigint, course_id bigint, enrolled_at timestamptz, lessons bigint,
               started_lessons bigint, completed_lessons bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.user_id, e.course_id, e.enrolled_at, lc.lessons, p.started, p.completed
    FROM learning.enrollments AS e
    CROSS JOIN LATERAL (
        SELECT count(*) AS lessons FROM learning.lessons AS l WHERE l.course_id = e.course_id
    ) AS lc
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE up.status <> 'NOT_STARTED') AS started,
               count(*) FILTER (WHERE up.status = 'COMPLETED') AS completed
        FROM learning.user_progress AS up
        WHERE up.user_id = e.user_id AND up.course_id = e.course_id
    ) AS p
    WHERE e.user_id = ANY(user_ids) OR e.course_id = ANY(course_ids)
$$;

-- Recomputes the funnel of the given courses and the summary of the given students.
CREATE OR REPLACE FUNCTION analytics.refresh_learning(user_ids bigint[], course_ids bigint[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    IF cardinality(course_ids) > 0 THEN
        DELETE FROM analytics.course_progress WHERE course_id = ANY(course_ids);
        INSERT INTO analytics.course_progress (course_id, enrollments, started, halfway, completed)
        SELECT ep.course_id,
               count(*),
               count(*) FILTER (WHERE ep.started_lessons > 0),
               count(*) FILTER (WHERE ep.lessons > 0 AND ep.completed_lessons * 2 >= ep.lessons),
               count(*) FILTER (WHERE ep.lessons > 0 AND ep.completed_lessons = ep.lessons)
        FROM analytics.enrollments_of('{}', course_ids) AS ep
        GROUP BY ep.course_id;
    END IF;
    IF cardinality(user_ids) > 0 THEN
        DELETE FROM analytics.student_summary WHERE user_id = ANY(user_ids);
        INSERT INTO analytics.student_summary
        SELECT u.id,
               count(ep.course_id),
               min(ep.enrolled_at),
               avg(coalesce(ep.completed_lessons::numeric / NULLIF(ep.lessons, 0), 0))
                   FILTER (WHERE ep.course_id IS NOT NULL),
               count(*) FILTER (WHERE ep.lessons > 0 AND ep.completed_lessons = ep.lessons),
               coalesce(sum(ep.completed_lessons), 0),
               EXISTS (SELECT FROM gamification.user_achievements AS a WHERE a.user_id = u.id)
               OR EXISTS (SELECT FROM gamification.streaks AS s
                          WHERE s.user_id = u.id AND s.longest_days > 0),
               (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b WHERE b.user_id = u.id)
        FROM learning.users AS u
        LEFT JOIN analytics.enrollments_of(user_ids, '{}') AS ep ON ep.user_id = u.id
        WHERE u.id = ANY(user_ids) AND u.role = 'STUDENT'
        GROUP BY u.id;
    END IF;
END
$$;

-- Any learning table with user_id and/or course_id columns: recompute what its rows touch.
CREATE OR REPLACE FUNCTION analytics.learning_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    user_ids bigint[] := '{}';
    course_ids bigint[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT user_ids || coalesce(array_agg(DISTINCT (to_jsonb(o) ->> 'user_id')::bigint), '{}'),
               course_ids || coalesce(array_agg(DISTINCT (to_jsonb(o) ->> 'course_id')::bigint), '{}')
        INTO user_ids, course_ids
        FROM old_rows AS o;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT user_ids || coalesce(array_agg(DISTINCT (to_jsonb(n) ->> 'user_id')::bigint), '{}'),
               course_ids || coalesce(array_agg(DISTINCT (to_jsonb(n) ->> 'course_id')::bigint), '{}')
        INTO user_ids, course_ids
        FROM new_rows AS n;
    END IF;
    user_ids := array_remove(user_ids, NULL);
    course_ids := array_remove(course_ids, NULL);
    IF TG_TABLE_NAME = 'lessons' THEN
        -- A course's lesson count is part of every enrolled student's progress.
        user_ids := ARRAY(SELECT e.user_id FROM learning.enrollments AS e
                          WHERE e.course_id = ANY(course_ids));
    END IF;
    PERFORM analytics.refresh_learning(user_ids, course_ids);
    RETURN NULL;
END
$$;

-- learning.users: a new or removed student, a changed role or signup time.
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
    PERFORM analytics.refresh_learning(user_ids, '{}');
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO analytics.rollup_stale (reason)
        VALUES (format('role or signup time of %s user(s) changed', cardinality(user_ids)));
    END IF;
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
             analytics.course_learners, analytics.lesson_learners, analytics.user_events_by_hour,
             analytics.user_events_by_weekday, analytics.user_events_by_type,
             analytics.user_lesson_events_by_level, analytics.user_sessions;
    INSERT INTO analytics.user_day_activity (user_id, day, events)
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log GROUP BY 1, 2;
    PERFORM analytics.rebuild_activity_counters();
    INSERT INTO analytics.course_day_activity (course_id, day, events)
    SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.course_learners (course_id, user_id, events, last_active_at)
    SELECT course_id, user_id, count(*), max(occurred_at)
    FROM analytics.behavior_log WHERE course_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.lesson_learners (lesson_id, user_id, starts, completes, events)
    SELECT lesson_id, user_id, count(*) FILTER (WHERE event_type = 'LESSON_START'),
           count(*) FILTER (WHERE event_type = 'LESSON_COMPLETE'), count(*)
    FROM analytics.behavior_log WHERE lesson_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO analytics.user_events_by_hour (user_id, hour, events)
    SELECT user_id, extract(hour FROM occurred_at AT TIME ZONE 'UTC'), count(*)
    FROM analytics.behavior_log GROUP BY 1, 2;
    INSERT INTO analytics.user_events_by_weekday (user_id, isodow, events)
    SELECT user_id, extract(isodow FROM occurred_at AT TIME ZONE 'UTC'), count(*)
    FROM analytics.behavior_log GROUP BY 1, 2;
    INSERT INTO analytics.user_events_by_type (user_id, event_type, events)
    SELECT user_id, event_type, count(*) FROM analytics.behavior_log GROUP BY 1, 2;
    INSERT INTO analytics.user_lesson_events_by_level (user_id, level, events)
    SELECT e.user_id, c.level, count(*)
    FROM analytics.behavior_log AS e
    JOIN learning.courses AS c ON c.id = e.course_id
    WHERE e.event_type IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY',
                           'VIDEO_PAUSE')
    GROUP BY 1, 2;
    INSERT INTO analytics.user_sessions (user_id, session_id, first_at, last_at)
    SELECT user_id, session_id, min(occurred_at), max(occurred_at)
    FROM analytics.behavior_log GROUP BY 1, 2;
    UPDATE analytics.student_summary AS s
    SET last_active_at = (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b
                          WHERE b.user_id = s.user_id);
    DELETE FROM analytics.rollup_stale;
END
$$;

-- Every learning rollup from enrollments, progress, lessons and gamification, in full.
CREATE OR REPLACE FUNCTION analytics.rebuild_learning_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.course_progress, analytics.student_summary;
    INSERT INTO analytics.course_progress (course_id, enrollments, started, halfway, completed)
    SELECT course_id,
           count(*),
           count(*) FILTER (WHERE started_lessons > 0),
           count(*) FILTER (WHERE lessons > 0 AND completed_lessons * 2 >= lessons),
           count(*) FILTER (WHERE completed)
    FROM learning.enrollment_progress
    GROUP BY course_id;
    INSERT INTO analytics.student_summary
    SELECT u.id,
           count(ep.course_id),
           min(ep.enrolled_at),
           avg(coalesce(ep.completed_lessons::numeric / NULLIF(ep.lessons, 0), 0))
               FILTER (WHERE ep.course_id IS NOT NULL),
           count(*) FILTER (WHERE ep.completed),
           coalesce(sum(ep.completed_lessons), 0),
           EXISTS (SELECT FROM gamification.user_achievements AS a WHERE a.user_id = u.id)
           OR EXISTS (SELECT FROM gamification.streaks AS s
                      WHERE s.user_id = u.id AND s.longest_days > 0),
           (SELECT max(b.occurred_at) FROM analytics.behavior_log AS b WHERE b.user_id = u.id)
    FROM learning.users AS u
    LEFT JOIN learning.enrollment_progress AS ep ON ep.user_id = u.id
    WHERE u.role = 'STUDENT'
    GROUP BY u.id;
END
$$;

CREATE OR REPLACE FUNCTION analytics.rebuild_rollups() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM analytics.rebuild_learning_rollups();
    PERFORM analytics.rebuild_event_rollups();
    INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('full', started);
END
$$;

-- What the timer runs: rebuild the event rollups only while something is queued.
CREATE OR REPLACE FUNCTION analytics.catch_up_rollups() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
    queued bigint;
BEGIN
    PERFORM analytics.lock_rollups();
    SELECT count(*) INTO queued FROM analytics.rollup_stale;
    IF queued > 0 THEN
        PERFORM analytics.rebuild_event_rollups();
        INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('catch-up', started);
    END IF;
    RETURN queued;
END
$$;

CREATE OR REPLACE TRIGGER behavior_log_fold_events
    AFTER INSERT ON analytics.behavior_log
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.fold_events();
CREATE OR REPLACE TRIGGER behavior_log_rewritten
    AFTER UPDATE OR DELETE OR TRUNCATE ON analytics.behavior_log
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();

CREATE OR REPLACE TRIGGER users_inserted AFTER INSERT ON learning.users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics.users_changed();
CREATE OR REPLACE TRIGGER users_updated AFTER UPDATE ON learning.users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.users_changed();
CREATE OR REPLACE TRIGGER users_deleted AFTER DELETE ON learning.users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics.users_changed();

DO $$
DECLARE
    source text;
BEGIN
    FOREACH source IN ARRAY ARRAY['learning.enrollments', 'learning.user_progress',
                                  'learning.lessons', 'gamification.user_achievements',
                                  'gamification.streaks'] LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER rollups_on_insert AFTER INSERT ON %s '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION analytics.learning_changed()', source);
        EXECUTE format('CREATE OR REPLACE TRIGGER rollups_on_update AFTER UPDATE ON %s '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION analytics.learning_changed()', source);
        EXECUTE format('CREATE OR REPLACE TRIGGER rollups_on_delete AFTER DELETE ON %s '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION analytics.learning_changed()', source);
    END LOOP;
END
$$;

-- The rollups start complete on an existing database (about 40 s for 12M events).
SET LOCAL statement_timeout = '30min';
SELECT analytics.rebuild_rollups();
