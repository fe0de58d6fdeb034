-- Rollback of 0031: analytics.behavior_log is one table again, its keys (id) and
-- (client_event_id) as before; 0023's queue and fold, 0030's refold. Every event moves back in
-- one transaction. It fails (and changes nothing) if two events share a client_event_id in
-- different months, which the partitioned key allows and the single table's does not.
-- squawk-ignore-file renaming-table, renaming-object, ban-drop-table, adding-serial-primary-key-field, ban-drop-column, ban-drop-function, require-concurrent-index-creation, constraint-missing-not-valid, adding-foreign-key-constraint, prefer-robust-stmts
-- Why: a rollback exists to undo exactly what its migration did, in one transaction.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
-- Every event is moved and indexed again: minutes on a big log, so no statement timeout.
SET LOCAL statement_timeout = 0;
SET LOCAL maintenance_work_mem = '512MB';

-- The rollups' lock first, as every writer of them takes it (see vedb/seed/load.py), then the
-- log and the queue: ingest and folding wait for the commit; nothing is counted twice or lost.
SELECT analytics.lock_rollups();
LOCK TABLE analytics.behavior_log, analytics.event_queue IN ACCESS EXCLUSIVE MODE;

ALTER TABLE analytics.behavior_log RENAME TO behavior_log_partitioned;
ALTER INDEX analytics.behavior_log_pkey RENAME TO behavior_log_partitioned_pkey;
ALTER INDEX analytics.behavior_log_user_time_idx RENAME TO behavior_log_partitioned_user_time_idx;
ALTER INDEX analytics.behavior_log_client_event_key RENAME TO behavior_log_partitioned_client_event_key;
ALTER SEQUENCE analytics.behavior_log_id_seq RENAME TO behavior_log_partitioned_id_seq;

CREATE TABLE analytics.behavior_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    user_id bigint NOT NULL,
    session_id uuid NOT NULL,
    event_type text NOT NULL,
    course_id bigint,
    lesson_id bigint,
    occurred_at timestamptz NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    client_event_id uuid,
    CONSTRAINT behavior_log_event_type_check CHECK (
        event_type IN ('LOGIN', 'LOGOUT', 'COURSE_VIEW', 'COURSE_ENROLL', 'LESSON_START',
                       'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE',
                       'ACHIEVEMENT_EARNED', 'POINTS_EARNED')
    ),
    CONSTRAINT behavior_log_lesson_check CHECK (lesson_id IS NULL OR course_id IS NOT NULL),
    CONSTRAINT behavior_log_lesson_event_check CHECK (
        event_type NOT IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE')
        OR lesson_id IS NOT NULL
    ),
    CONSTRAINT behavior_log_payload_check CHECK (jsonb_typeof(payload) = 'object')
);

INSERT INTO analytics.behavior_log (id, user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload, client_event_id)
OVERRIDING SYSTEM VALUE
SELECT id, user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload, client_event_id FROM analytics.behavior_log_partitioned;
SELECT setval(pg_get_serial_sequence('analytics.behavior_log', 'id'), coalesce(max(id), 0) + 1, false)
FROM analytics.behavior_log_partitioned;

ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_pkey PRIMARY KEY (id);
CREATE INDEX behavior_log_user_time_idx ON analytics.behavior_log (user_id, occurred_at DESC);
CREATE UNIQUE INDEX behavior_log_client_event_key ON analytics.behavior_log (client_event_id)
    WHERE client_event_id IS NOT NULL;
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES learning.users (id) ON DELETE CASCADE;
-- No cascade from courses and lessons: deleting content must not silently erase history.
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_course_id_fkey
    FOREIGN KEY (course_id) REFERENCES learning.courses (id);
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_lesson_fkey
    FOREIGN KEY (course_id, lesson_id) REFERENCES learning.lessons (course_id, id);

CREATE OR REPLACE FUNCTION analytics.queue_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.event_queue (id) SELECT id FROM new_events;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.refold_users(targets bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.event_queue (id)
    SELECT id FROM analytics.behavior_log WHERE user_id = ANY (targets);
    PERFORM analytics.fold_pending();
END
$$;

-- Folds the committed queued events (at most max_events of them; NULL: all) into the event
-- rollups and returns how many. With wait false it returns 0 at once when another fold, a
-- learning write or a rebuild holds the rollups.
CREATE OR REPLACE FUNCTION analytics.fold_pending(
    wait boolean DEFAULT true, max_events bigint DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    folded bigint;
BEGIN
    IF wait THEN
        PERFORM analytics.lock_rollups();
    ELSIF NOT analytics.try_lock_rollups() THEN
        RETURN 0;
    END IF;
    WITH drained AS (
        DELETE FROM analytics.event_queue
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM analytics.event_queue LIMIT max_events))
        RETURNING id
    ),
    -- The queued events as they are now (a deleted one is gone, and queued a rebuild too).
    new_events AS (
        SELECT e.* FROM analytics.behavior_log AS e JOIN drained AS d ON d.id = e.id
    ),
    batch AS (
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
    ),
    up_last_active AS (
        UPDATE analytics.student_summary AS s
        SET last_active_at = b.last_at
        FROM (SELECT user_id, max(occurred_at) AS last_at FROM new_events GROUP BY user_id) AS b
        WHERE s.user_id = b.user_id
          AND (s.last_active_at IS NULL OR s.last_active_at < b.last_at)
    )
    SELECT count(*) INTO folded FROM new_events;
    RETURN folded;
END
$$;
REVOKE ALL ON FUNCTION analytics.fold_pending(boolean, bigint) FROM PUBLIC;

ALTER TABLE analytics.event_queue DROP COLUMN occurred_at;
DROP FUNCTION IF EXISTS analytics.drain_event_queue(bigint);  -- returns the log's rows
DROP TABLE analytics.behavior_log_partitioned;  -- and every partition
DROP FUNCTION IF EXISTS analytics.maintain_event_partitions(integer, integer);
DROP FUNCTION IF EXISTS analytics.requeue_moved_events();  -- its trigger went with the table
DROP FUNCTION IF EXISTS analytics.create_event_partitions(timestamptz, timestamptz);

CREATE OR REPLACE TRIGGER behavior_log_queue_events
    AFTER INSERT ON analytics.behavior_log
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.queue_events();
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

ANALYZE analytics.behavior_log;
