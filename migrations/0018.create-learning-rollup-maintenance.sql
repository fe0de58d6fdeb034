-- Keeps the learning rollups of 0016 current in the writing transaction, and rebuilds them.
--   Statement triggers on enrollments, progress, lessons, users and gamification collect the
--   enrollments and students a write touches. Each touched enrollment's summary is recomputed
--   from its own rows (a few, by index), and the course counters move by the difference
--   between its old and new summary, so a write costs the same on a course of 10 learners and
--   on one of 20,000.
--   A changed role or signup time also queues a rebuild of the event rollups (their student
--   counts depend on both).
-- depends: 0017.create-event-rollup-maintenance

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- The summary of the given enrollments (pairs of user_ids[i], course_ids[i]) from their rows.
CREATE OR REPLACE FUNCTION analytics.enrollment_state(user_ids bigint[], course_ids bigint[])
RETURNS TABLE (user_id bigint, course_id bigint, enrolled_at timestamptz, lessons bigint,
               started_lessons bigint, completed_lessons bigint, furthest_position bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.user_id, e.course_id, e.enrolled_at, lc.lessons, p.started, p.completed, p.furthest
    FROM unnest(user_ids, course_ids) AS k (user_id, course_id)
    JOIN learning.enrollments AS e ON e.user_id = k.user_id AND e.course_id = k.course_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS lessons FROM learning.lessons AS l WHERE l.course_id = e.course_id
    ) AS lc
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE up.status <> 'NOT_STARTED') AS started,
               count(*) FILTER (WHERE up.status = 'COMPLETED') AS completed,
               max(l.position) FILTER (WHERE up.status <> 'NOT_STARTED') AS furthest
        FROM learning.user_progress AS up
        JOIN learning.lessons AS l ON l.id = up.lesson_id
        WHERE up.user_id = e.user_id AND up.course_id = e.course_id
    ) AS p
$$;

-- Recomputes the given enrollments' summaries; moves the funnel and drop-off counters of
-- their courses by the difference. Pairs that no longer exist leave the summary.
CREATE OR REPLACE FUNCTION analytics.refresh_enrollments(user_ids bigint[], course_ids bigint[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    WITH keys AS (
        SELECT DISTINCT k.user_id, k.course_id
        FROM unnest(user_ids, course_ids) AS k (user_id, course_id)
        WHERE k.user_id IS NOT NULL AND k.course_id IS NOT NULL
    ),
    old AS (
        SELECT s.*
        FROM analytics.enrollment_summary AS s
        JOIN keys AS k ON k.user_id = s.user_id AND k.course_id = s.course_id
    ),
    new AS (
        SELECT *
        FROM analytics.enrollment_state(
            (SELECT array_agg(user_id ORDER BY user_id, course_id) FROM keys),
            (SELECT array_agg(course_id ORDER BY user_id, course_id) FROM keys)
        )
    ),
    -- +1 for each new state, -1 for each old one: the counters' differences.
    signed AS (
        SELECT 1 AS sign, * FROM new
        UNION ALL
        SELECT -1, * FROM old
    ),
    funnel AS (
        INSERT INTO analytics.course_progress AS t
            (course_id, enrollments, started, halfway, completed)
        SELECT course_id,
               sum(sign),
               coalesce(sum(sign) FILTER (WHERE started_lessons > 0), 0),
               coalesce(sum(sign) FILTER (WHERE lessons > 0 AND completed_lessons * 2 >= lessons), 0),
               coalesce(sum(sign) FILTER (WHERE lessons > 0 AND completed_lessons = lessons), 0)
        FROM signed
        GROUP BY course_id
        ORDER BY course_id
        ON CONFLICT (course_id) DO UPDATE
        SET enrollments = t.enrollments + EXCLUDED.enrollments,
            started = t.started + EXCLUDED.started,
            halfway = t.halfway + EXCLUDED.halfway,
            completed = t.completed + EXCLUDED.completed
    ),
    stops AS (
        INSERT INTO analytics.course_stops AS t (course_id, position, learners)
        SELECT course_id, furthest_position, sum(sign)
        FROM signed
        WHERE furthest_position IS NOT NULL AND completed_lessons < lessons
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (course_id, position) DO UPDATE SET learners = t.learners + EXCLUDED.learners
    ),
    kept AS (
        INSERT INTO analytics.enrollment_summary AS t
        SELECT * FROM new ORDER BY user_id, course_id
        ON CONFLICT (user_id, course_id) DO UPDATE
        SET enrolled_at = EXCLUDED.enrolled_at,
            lessons = EXCLUDED.lessons,
            started_lessons = EXCLUDED.started_lessons,
            completed_lessons = EXCLUDED.completed_lessons,
            furthest_position = EXCLUDED.furthest_position
    )
    DELETE FROM analytics.enrollment_summary AS s
    USING old AS o
    WHERE s.user_id = o.user_id AND s.course_id = o.course_id
      AND NOT EXISTS (SELECT FROM new AS n
                      WHERE n.user_id = o.user_id AND n.course_id = o.course_id);
END
$$;

-- Recomputes the summary of the given students from their enrollment summaries.
CREATE OR REPLACE FUNCTION analytics.refresh_students(user_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    DELETE FROM analytics.student_summary WHERE user_id = ANY(user_ids);
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
    WHERE u.id = ANY(user_ids) AND u.role = 'STUDENT'
    GROUP BY u.id;
END
$$;

-- One trigger function for every learning source; the transition tables are old_rows and
-- new_rows. Collects the touched enrollments and students, then refreshes them.
CREATE OR REPLACE FUNCTION analytics.learning_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    leaving jsonb[] := '{}';
    arriving jsonb[] := '{}';
    touched jsonb[];
    course_ids bigint[];
    user_ids bigint[];
    pair_users bigint[];
    pair_courses bigint[];
BEGIN
    -- Each transition table exists only for the events that have it: read each in its branch.
    IF TG_OP <> 'INSERT' THEN
        SELECT coalesce(array_agg(to_jsonb(o)), '{}') INTO leaving FROM old_rows AS o;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT coalesce(array_agg(to_jsonb(n)), '{}') INTO arriving FROM new_rows AS n;
    END IF;
    touched := leaving || arriving;
    IF TG_TABLE_NAME = 'user_progress' THEN
        -- Lesson counters move by each row's status, arriving minus leaving.
        INSERT INTO analytics.lesson_progress AS t (lesson_id, started, completed)
        SELECT (r ->> 'lesson_id')::bigint,
               sum(CASE WHEN r ->> 'status' <> 'NOT_STARTED' THEN sign ELSE 0 END),
               sum(CASE WHEN r ->> 'status' = 'COMPLETED' THEN sign ELSE 0 END)
        FROM (
            SELECT r, -1 AS sign FROM unnest(leaving) AS r
            UNION ALL
            SELECT r, 1 FROM unnest(arriving) AS r
        ) AS changes
        GROUP BY 1
        ORDER BY 1
        ON CONFLICT (lesson_id) DO UPDATE
        SET started = t.started + EXCLUDED.started, completed = t.completed + EXCLUDED.completed;
    END IF;
    IF TG_TABLE_NAME = 'lessons' THEN
        -- A course's lesson count is part of every one of its enrollments' summaries.
        SELECT array_agg(DISTINCT (r ->> 'course_id')::bigint) INTO course_ids
        FROM unnest(touched) AS r;
        SELECT array_agg(e.user_id), array_agg(e.course_id) INTO pair_users, pair_courses
        FROM learning.enrollments AS e WHERE e.course_id = ANY(course_ids);
        DELETE FROM analytics.lesson_progress AS p
        WHERE NOT EXISTS (SELECT FROM learning.lessons AS l WHERE l.id = p.lesson_id);
    ELSE
        SELECT array_agg((r ->> 'user_id')::bigint), array_agg((r ->> 'course_id')::bigint)
        INTO pair_users, pair_courses
        FROM unnest(touched) AS r
        WHERE r ? 'course_id';
    END IF;
    IF pair_users IS NOT NULL THEN
        PERFORM analytics.refresh_enrollments(pair_users, pair_courses);
    END IF;
    SELECT array_agg(DISTINCT u) INTO user_ids
    FROM (
        SELECT unnest(pair_users) AS u
        UNION
        SELECT (r ->> 'user_id')::bigint FROM unnest(touched) AS r WHERE r ? 'user_id'
    ) AS s;
    IF user_ids IS NOT NULL THEN
        PERFORM analytics.refresh_students(user_ids);
    END IF;
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
    PERFORM analytics.refresh_students(user_ids);
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO analytics.rollup_stale (reason)
        VALUES (format('role or signup time of %s user(s) changed', cardinality(user_ids)));
    END IF;
    RETURN NULL;
END
$$;

-- Every learning rollup from enrollments, progress, lessons and gamification, in full.
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
