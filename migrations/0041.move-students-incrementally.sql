-- A changed role or signup time no longer queues a rebuild of the event rollups. Of those, only
-- the distinct-student counters (active_students_by_day, active_students_by_month,
-- cohort_week_activity) depend on either: they count students' days, and cohort_week_activity
-- groups them by signup week. The users' statement trigger now moves the changed users' days
-- out of the counters as they counted (old role and signup week) and in as they count now,
-- from user_day_activity, in the same transaction. The cost follows those users' active days.
-- Why it matters beyond the cost: after retention dropped months (0032), a rebuild refuses to
-- lose their history, so the rebuild a role change queued never ran and the rollups stayed
-- stale until `vedb refresh --full --discard-dropped-history`. user_day_activity keeps the
-- dropped months' days, so this path counts them too.
-- catch_up_rollups (0019) also ANALYZEs the rollups of rollups its rebuild changes
-- (course_learner_days, student_groups).
-- depends: 0040.trim-rollup-rebuild

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- Applies pg_temp.moved_students (user_id, sign, cohort_week): each row takes a user's active
-- days out of the counters (sign -1, as a student of that cohort week) or puts them in (+1).
-- The caller holds the rollups.
CREATE OR REPLACE FUNCTION analytics.move_students() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS moved_days (user_id bigint, sign int, cohort_week date, day date)
        ON COMMIT DROP;
    TRUNCATE moved_days;
    INSERT INTO moved_days
    SELECT m.user_id, m.sign, m.cohort_week, a.day
    FROM pg_temp.moved_students AS m
    JOIN analytics.user_day_activity AS a ON a.user_id = m.user_id;

    -- A user's 30-day coverage is the union of [day, day + 29] over their days.
    INSERT INTO analytics.active_students_by_day AS t (day, active_students, active_students_30d)
    SELECT day, sum(dau), sum(rolling)
    FROM (
        SELECT day, sign AS dau, 0 AS rolling FROM moved_days
        UNION ALL
        SELECT c.day, 0, c.sign
        FROM (SELECT DISTINCT d.user_id, d.sign, d.day + g AS day
              FROM moved_days AS d, generate_series(0, 29) AS g) AS c
    ) AS changes
    GROUP BY day
    HAVING sum(dau) <> 0 OR sum(rolling) <> 0
    ORDER BY day
    ON CONFLICT (day) DO UPDATE
    SET active_students = t.active_students + EXCLUDED.active_students,
        active_students_30d = t.active_students_30d + EXCLUDED.active_students_30d;
    DELETE FROM analytics.active_students_by_day
    WHERE active_students = 0 AND active_students_30d = 0
      AND day IN (SELECT d.day + g FROM moved_days AS d, generate_series(0, 29) AS g);

    INSERT INTO analytics.active_students_by_month AS t (month, active_students)
    SELECT month, sum(sign)
    FROM (SELECT DISTINCT user_id, sign, date_trunc('month', day)::date AS month
          FROM moved_days) AS m
    GROUP BY month
    HAVING sum(sign) <> 0
    ORDER BY month
    ON CONFLICT (month) DO UPDATE SET active_students = t.active_students + EXCLUDED.active_students;
    DELETE FROM analytics.active_students_by_month WHERE active_students = 0;

    INSERT INTO analytics.cohort_week_activity AS t (cohort_week, week_number, active_students)
    SELECT cohort_week, week_number, sum(sign)
    FROM (SELECT DISTINCT user_id, sign, cohort_week,
                 (date_trunc('week', day)::date - cohort_week) / 7 AS week_number
          FROM moved_days
          WHERE day >= cohort_week) AS w
    GROUP BY 1, 2
    HAVING sum(sign) <> 0
    ORDER BY 1, 2
    ON CONFLICT (cohort_week, week_number) DO UPDATE
    SET active_students = t.active_students + EXCLUDED.active_students;
    DELETE FROM analytics.cohort_week_activity WHERE active_students = 0;
END
$$;

-- 0018's, moving a changed role or signup time through the counters instead of queueing a
-- rebuild.
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
        -- The transition tables are visible here, not in a function called from here.
        CREATE TEMP TABLE IF NOT EXISTS moved_students (user_id bigint, sign int, cohort_week date)
            ON COMMIT DROP;
        TRUNCATE moved_students;
        INSERT INTO moved_students
        SELECT o.id, -1, date_trunc('week', o.created_at AT TIME ZONE 'UTC')::date
        FROM old_rows AS o
        WHERE o.id = ANY (user_ids) AND o.role = 'STUDENT'
        UNION ALL
        SELECT n.id, 1, date_trunc('week', n.created_at AT TIME ZONE 'UTC')::date
        FROM new_rows AS n
        WHERE n.id = ANY (user_ids) AND n.role = 'STUDENT';
        PERFORM analytics.lock_rollups();
        -- Queued events of these users fold as the users are now; the folded ones move here.
        PERFORM analytics.move_students();
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
                analytics.course_learner_days,
                analytics.course_day_activity,
                analytics.lesson_learners,
                analytics.course_activity,
                analytics.lesson_activity,
                analytics.user_activity,
                analytics.enrollment_summary,
                analytics.lesson_progress,
                analytics.course_stops,
                analytics.course_progress,
                analytics.student_summary,
                analytics.student_groups;
    END IF;
    RETURN queued;
END
$$;
REVOKE ALL ON FUNCTION analytics.catch_up_rollups() FROM PUBLIC;
