-- A deleted or rewritten event no longer queues a full rebuild: its statement takes the
-- contribution of every student it touches out of the event rollups and folds their events
-- in again, in the same transaction. The cost follows those students' events, not the log's,
-- and `vedb refresh` stays a catch-up. What still queues a rebuild: a TRUNCATE of the log, a
-- changed role or signup time (0018), and events of a user the same statement deleted.
--   analytics.unfold_users(ids)  takes the users out of every event rollup: from their own
--                                rollup rows, and from their events in the log for
--                                course_day_activity (keyed by course and day, not by user),
--                                so the rollups must hold those events as the log does;
--   analytics.refold_users(ids)  queues their events as the log holds them and folds.
-- analytics.forget_user (0027) now uses the same two steps.
-- depends: 0029.create-index-flat-answers

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.unfold_users(targets bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Distinct-student counters: only students were counted (0023's fold joins on the role).
    CREATE TEMP TABLE IF NOT EXISTS unfolded_days (user_id bigint, day date, cohort_week date)
        ON COMMIT DROP;
    TRUNCATE unfolded_days;
    INSERT INTO unfolded_days
    SELECT a.user_id, a.day, date_trunc('week', u.created_at AT TIME ZONE 'UTC')::date
    FROM analytics.user_day_activity AS a
    JOIN learning.users AS u ON u.id = a.user_id AND u.role = 'STUDENT'
    WHERE a.user_id = ANY (targets);

    UPDATE analytics.active_students_by_day AS t SET active_students = t.active_students - c.n
    FROM (SELECT day, count(*) AS n FROM unfolded_days GROUP BY day) AS c
    WHERE t.day = c.day;
    UPDATE analytics.active_students_by_day AS t
    SET active_students_30d = t.active_students_30d - c.n
    FROM (SELECT w.day, count(*) AS n
          FROM (SELECT DISTINCT d.user_id, d.day + g AS day
                FROM unfolded_days AS d, generate_series(0, 29) AS g) AS w
          GROUP BY w.day) AS c
    WHERE t.day = c.day;
    DELETE FROM analytics.active_students_by_day
    WHERE active_students = 0 AND active_students_30d = 0
      AND day IN (SELECT d.day + g FROM unfolded_days AS d, generate_series(0, 29) AS g);
    UPDATE analytics.active_students_by_month AS t SET active_students = t.active_students - c.n
    FROM (SELECT month, count(*) AS n
          FROM (SELECT DISTINCT user_id, date_trunc('month', day)::date AS month
                FROM unfolded_days) AS m
          GROUP BY month) AS c
    WHERE t.month = c.month;
    DELETE FROM analytics.active_students_by_month WHERE active_students = 0;
    UPDATE analytics.cohort_week_activity AS t SET active_students = t.active_students - c.n
    FROM (SELECT cohort_week, week_number, count(*) AS n
          FROM (SELECT DISTINCT user_id, cohort_week,
                       (date_trunc('week', day)::date - cohort_week) / 7 AS week_number
                FROM unfolded_days
                WHERE day >= cohort_week) AS w
          GROUP BY 1, 2) AS c
    WHERE t.cohort_week = c.cohort_week AND t.week_number = c.week_number;
    DELETE FROM analytics.cohort_week_activity WHERE active_students = 0;

    UPDATE analytics.course_day_activity AS t SET events = t.events - e.events
    FROM (SELECT course_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
          FROM analytics.behavior_log
          WHERE user_id = ANY (targets) AND course_id IS NOT NULL
          GROUP BY 1, 2) AS e
    WHERE t.course_id = e.course_id AND t.day = e.day;
    DELETE FROM analytics.course_day_activity WHERE events <= 0;
    UPDATE analytics.course_activity AS t
    SET learners = t.learners - c.learners, events = t.events - c.events
    FROM (SELECT course_id, count(*) AS learners, sum(events) AS events
          FROM analytics.course_learners WHERE user_id = ANY (targets) GROUP BY 1) AS c
    WHERE t.course_id = c.course_id;
    DELETE FROM analytics.course_activity WHERE learners <= 0;
    UPDATE analytics.lesson_activity AS t
    SET learners_started = t.learners_started - c.started,
        learners_completed = t.learners_completed - c.completed,
        events = t.events - c.events
    FROM (SELECT lesson_id, count(*) FILTER (WHERE starts > 0) AS started,
                 count(*) FILTER (WHERE completes > 0) AS completed, sum(events) AS events
          FROM analytics.lesson_learners WHERE user_id = ANY (targets) GROUP BY 1) AS c
    WHERE t.lesson_id = c.lesson_id;
    DELETE FROM analytics.lesson_activity WHERE events <= 0;

    DELETE FROM analytics.user_day_activity WHERE user_id = ANY (targets);
    DELETE FROM analytics.course_learners WHERE user_id = ANY (targets);
    DELETE FROM analytics.lesson_learners WHERE user_id = ANY (targets);
    DELETE FROM analytics.user_sessions WHERE user_id = ANY (targets);
    DELETE FROM analytics.user_activity WHERE user_id = ANY (targets);
    UPDATE analytics.student_summary SET last_active_at = NULL
    WHERE user_id = ANY (targets) AND last_active_at IS NOT NULL;
END
$$;

-- After unfold_users; the caller holds the rollups and the queue, so no event of theirs can
-- commit between the two.
CREATE OR REPLACE FUNCTION analytics.refold_users(targets bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.event_queue (id)
    SELECT id FROM analytics.behavior_log WHERE user_id = ANY (targets);
    PERFORM analytics.fold_pending();
END
$$;

-- Statement triggers on the log's deletes and updates: old_rows (and new_rows).
CREATE OR REPLACE FUNCTION analytics.events_rewritten() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
BEGIN
    -- analytics.forget_user took the user out of the rollups already.
    IF current_setting('vedb.forgetting_user', true) IS NOT NULL
       AND current_setting('vedb.forgetting_user', true) <> '' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO analytics.rollup_stale (reason) VALUES ('TRUNCATE on analytics.behavior_log');
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT user_id) INTO touched FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT user_id) INTO touched
        FROM (SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows) AS u;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;  -- no row: no lock taken, ingest goes on
    END IF;
    PERFORM analytics.lock_rollups();
    -- No ingest may commit events meanwhile: the counted and the refolded sets must agree.
    LOCK TABLE analytics.event_queue IN EXCLUSIVE MODE;
    -- A rebuild is due anyway, or a user went with their events (a cascade): the full path.
    IF EXISTS (SELECT FROM analytics.rollup_stale)
       OR EXISTS (SELECT FROM unnest(touched) AS t (id)
                  WHERE NOT EXISTS (SELECT FROM learning.users AS u WHERE u.id = t.id)) THEN
        INSERT INTO analytics.rollup_stale (reason)
        VALUES (format('%s on analytics.behavior_log', TG_OP));
        RETURN NULL;
    END IF;
    -- The old rows the rollups counted: those no longer queued. Everything queued is folded
    -- first, so the rollups then hold exactly the users' current events except the rewritten
    -- ones, which they hold as they were.
    CREATE TEMP TABLE IF NOT EXISTS counted_old (id bigint, course_id bigint, day date)
        ON COMMIT DROP;
    TRUNCATE counted_old;
    INSERT INTO counted_old
    SELECT o.id, o.course_id, (o.occurred_at AT TIME ZONE 'UTC')::date
    FROM old_rows AS o
    WHERE NOT EXISTS (SELECT FROM analytics.event_queue AS q WHERE q.id = o.id);
    PERFORM analytics.fold_pending();
    -- course_day_activity as the log holds the users' events, which unfold_users needs: the
    -- counted old versions out, the new versions of the counted rewritten ones in.
    INSERT INTO analytics.course_day_activity AS t (course_id, day, events)
    SELECT e.course_id, (e.occurred_at AT TIME ZONE 'UTC')::date, 0
    FROM analytics.behavior_log AS e
    JOIN counted_old AS o ON o.id = e.id
    WHERE e.course_id IS NOT NULL
    ON CONFLICT (course_id, day) DO NOTHING;
    UPDATE analytics.course_day_activity AS t SET events = t.events - c.events
    FROM (SELECT course_id, day, sum(n) AS events
          FROM (SELECT course_id, day, 1 AS n FROM counted_old WHERE course_id IS NOT NULL
                UNION ALL
                SELECT e.course_id, (e.occurred_at AT TIME ZONE 'UTC')::date, -1
                FROM analytics.behavior_log AS e
                JOIN counted_old AS o ON o.id = e.id
                WHERE e.course_id IS NOT NULL) AS d
          GROUP BY 1, 2) AS c
    WHERE t.course_id = c.course_id AND t.day = c.day;
    PERFORM analytics.unfold_users(touched);
    PERFORM analytics.refold_users(touched);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS behavior_log_rewritten ON analytics.behavior_log;
CREATE OR REPLACE TRIGGER behavior_log_deleted
    AFTER DELETE ON analytics.behavior_log
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();
CREATE OR REPLACE TRIGGER behavior_log_updated
    AFTER UPDATE ON analytics.behavior_log
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();
CREATE OR REPLACE TRIGGER behavior_log_truncated
    AFTER TRUNCATE ON analytics.behavior_log
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.events_rewritten();

-- 0027's erasure, its rollup part now unfold_users.
CREATE OR REPLACE FUNCTION analytics.forget_user(target bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    who record;
    counted jsonb := '{}';
    n bigint;
BEGIN
    SELECT id INTO who FROM learning.users WHERE id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user %', target USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT FROM learning.courses WHERE teacher_id = target) THEN
        RAISE EXCEPTION 'user % teaches courses: give them another teacher first', target
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM analytics.lock_rollups();
    PERFORM analytics.fold_pending();

    PERFORM analytics.unfold_users(ARRAY[target]);

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
REVOKE ALL ON FUNCTION analytics.forget_user(bigint) FROM PUBLIC;
