-- Partitions analytics.behavior_log by month: native range partitioning on occurred_at, one
-- partition per UTC month (analytics.behavior_log_y2026m12, ...), made ahead of time by
-- analytics.maintain_event_partitions() (this migration, every `vedb migrate` and every
-- `vedb refresh`), and for a seed's months by the seeder. Vacuum, index builds and (later)
-- retention then work on one month at a time, not on one heap of every event.
-- Keys: a unique index of a partitioned table must include the partition key, so the primary
-- key is (id, occurred_at), and ingest's idempotency key is (client_event_id, occurred_at).
-- A retried event carries the same occurred_at, so a retry still finds its first copy, in the
-- same partition: ON CONFLICT (client_event_id, occurred_at) does what (client_event_id) did.
-- There is no default partition: an event outside every partition's month is refused (the
-- API answers 422), never parked where no retention or index layout reaches it.
-- The event queue carries each event's occurred_at, so the fold reads one partition per
-- event instead of probing every partition's key (75 ms instead of 174 ms for 20,000 events
-- over 13 partitions, measured). 0023's fold_pending is restated with its batch read through
-- analytics.drain_event_queue() below; the rest of it is unchanged.
-- The events move in this one transaction, under an exclusive lock: nothing is lost or
-- counted twice, and the rollups, which never see the move, stay as they are.
-- depends: 0030.fold-event-rewrites

-- squawk-ignore-file renaming-table, renaming-object, ban-drop-table, adding-serial-primary-key-field, require-concurrent-index-creation, constraint-missing-not-valid, adding-foreign-key-constraint, adding-not-nullable-field, adding-required-field, prefer-robust-stmts
-- Why: the whole move is one transaction under an exclusive lock on the log; the table set
-- aside is dropped once every event is in its partition, and the keys are built on a table
-- this migration made and filled.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
-- Every event is moved and indexed again: minutes on a big log, so no statement timeout.
SET LOCAL statement_timeout = 0;
SET LOCAL maintenance_work_mem = '512MB';

-- The rollups' lock first, as every writer of them takes it (see vedb/seed/load.py), then the
-- log and the queue: ingest and folding wait for the commit; nothing is counted twice or lost.
SELECT analytics.lock_rollups();
LOCK TABLE analytics.behavior_log, analytics.event_queue IN ACCESS EXCLUSIVE MODE;

ALTER TABLE analytics.behavior_log RENAME TO behavior_log_unpartitioned;
ALTER INDEX analytics.behavior_log_pkey RENAME TO behavior_log_unpartitioned_pkey;
ALTER INDEX analytics.behavior_log_user_time_idx RENAME TO behavior_log_unpartitioned_user_time_idx;
ALTER INDEX analytics.behavior_log_client_event_key RENAME TO behavior_log_unpartitioned_client_event_key;
ALTER SEQUENCE analytics.behavior_log_id_seq RENAME TO behavior_log_unpartitioned_id_seq;

-- The checks as 0004 made them; the keys after the move, each built once per partition.
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
) PARTITION BY RANGE (occurred_at);

-- Monthly partitions of the log (UTC months) for every month from first's to last's, those
-- that do not exist yet; returns how many it made. SECURITY DEFINER: `vedb refresh` runs as the
-- API's login, which does not own the log, and makes next months' partitions ahead of time.
CREATE OR REPLACE FUNCTION analytics.create_event_partitions(
    first timestamptz, last timestamptz
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    month date := date_trunc('month', first AT TIME ZONE 'UTC')::date;
    until date := date_trunc('month', last AT TIME ZONE 'UTC')::date;
    made integer := 0;
    name text;
BEGIN
    IF first IS NULL OR last IS NULL OR last < first THEN
        RAISE EXCEPTION 'create_event_partitions: no months from % to %', first, last
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A typo'd year must not make thousands of tables.
    IF until > (month + interval '50 years')::date THEN
        RAISE EXCEPTION 'create_event_partitions: % to % is more than 50 years of months',
            first, last USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE month <= until LOOP
        name := 'behavior_log_' || to_char(month, '"y"YYYY"m"MM');
        IF to_regclass('analytics.' || name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE analytics.%I PARTITION OF analytics.behavior_log'
                ' FOR VALUES FROM (%L) TO (%L)',
                name, month::timestamp AT TIME ZONE 'UTC',
                (month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
            );
            made := made + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;
REVOKE ALL ON FUNCTION analytics.create_event_partitions(timestamptz, timestamptz) FROM PUBLIC;

-- The partitions ingest may need: a month for every month from `behind` months ago (late and
-- offline clients' events; 12 by default) to `ahead` months on (3). An event outside them is
-- refused; a backfill of older months makes their partitions with create_event_partitions.
CREATE OR REPLACE FUNCTION analytics.maintain_event_partitions(
    ahead integer DEFAULT 3, behind integer DEFAULT 12
) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
RETURN analytics.create_event_partitions(
    now() - make_interval(months => behind), now() + make_interval(months => ahead)
);
REVOKE ALL ON FUNCTION analytics.maintain_event_partitions(integer, integer) FROM PUBLIC;

SELECT analytics.create_event_partitions(min(occurred_at), max(occurred_at))
FROM analytics.behavior_log_unpartitioned
HAVING count(*) > 0;
SELECT analytics.maintain_event_partitions();

INSERT INTO analytics.behavior_log (id, user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload, client_event_id)
OVERRIDING SYSTEM VALUE
SELECT id, user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload, client_event_id FROM analytics.behavior_log_unpartitioned;
SELECT setval(pg_get_serial_sequence('analytics.behavior_log', 'id'), coalesce(max(id), 0) + 1, false)
FROM analytics.behavior_log_unpartitioned;

ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_pkey PRIMARY KEY (id, occurred_at);
CREATE INDEX behavior_log_user_time_idx ON analytics.behavior_log (user_id, occurred_at DESC);
CREATE UNIQUE INDEX behavior_log_client_event_key ON analytics.behavior_log (client_event_id, occurred_at)
    WHERE client_event_id IS NOT NULL;
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES learning.users (id) ON DELETE CASCADE;
-- No cascade from courses and lessons: deleting content must not silently erase history.
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_course_id_fkey
    FOREIGN KEY (course_id) REFERENCES learning.courses (id);
ALTER TABLE analytics.behavior_log ADD CONSTRAINT behavior_log_lesson_fkey
    FOREIGN KEY (course_id, lesson_id) REFERENCES learning.lessons (course_id, id);

-- The queued events' months, from the log as it is (an event deleted since left the queue's
-- fold nothing to do).
ALTER TABLE analytics.event_queue ADD COLUMN occurred_at timestamptz;
UPDATE analytics.event_queue AS q SET occurred_at = e.occurred_at
FROM analytics.behavior_log_unpartitioned AS e
WHERE e.id = q.id;
DELETE FROM analytics.event_queue WHERE occurred_at IS NULL;
ALTER TABLE analytics.event_queue ALTER COLUMN occurred_at SET NOT NULL;

CREATE OR REPLACE FUNCTION analytics.queue_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.event_queue (id, occurred_at) SELECT id, occurred_at FROM new_events;
    RETURN NULL;
END
$$;

-- A queued event whose occurred_at an UPDATE changed stays queued, at its new month: the fold
-- finds it by (id, occurred_at). Its trigger's name sorts before behavior_log_updated's, so it
-- runs first, and that one's fold meets the queue as the log now is.
CREATE OR REPLACE FUNCTION analytics.requeue_moved_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE analytics.event_queue AS q SET occurred_at = n.occurred_at
    FROM new_rows AS n
    WHERE q.id = n.id AND q.occurred_at <> n.occurred_at;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.refold_users(targets bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.event_queue (id, occurred_at)
    SELECT id, occurred_at FROM analytics.behavior_log WHERE user_id = ANY (targets);
    PERFORM analytics.fold_pending();
END
$$;

-- Takes up to max_events (NULL: all) of the committed queue, and returns those events as the
-- log holds them now (a deleted one is gone). A function so the fold's planner expects a
-- set-returning function's 1,000 rows. Inline, the queue's DELETE was estimated from its
-- statistics (1 row after autovacuum had analyzed it empty), and its join to the log on
-- (id, occurred_at), two unique columns, at far below one row whatever the queue: the fold
-- then joined its batches in nested loops, and 24,000 events took over 60 s (on `scale`).
CREATE OR REPLACE FUNCTION analytics.drain_event_queue(max_events bigint)
RETURNS SETOF analytics.behavior_log
LANGUAGE plpgsql ROWS 1000 AS $$
BEGIN
    RETURN QUERY
    WITH drained AS (
        DELETE FROM analytics.event_queue AS q
        WHERE q.ctid = ANY (ARRAY(SELECT e.ctid FROM analytics.event_queue AS e LIMIT max_events))
        RETURNING q.id, q.occurred_at
    )
    SELECT e.*
    FROM drained AS d
    JOIN analytics.behavior_log AS e ON e.id = d.id AND e.occurred_at = d.occurred_at;
END
$$;
REVOKE ALL ON FUNCTION analytics.drain_event_queue(bigint) FROM PUBLIC;

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
    -- The queued events as they are now (a deleted one is gone, and queued a rebuild too).
    WITH new_events AS (
        SELECT * FROM analytics.drain_event_queue(max_events)
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

DROP TABLE analytics.behavior_log_unpartitioned;

-- 0023's and 0030's triggers, on the partitioned log (a statement trigger's transition
-- tables hold the rows of every partition the statement touched).
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
CREATE OR REPLACE TRIGGER behavior_log_requeue_moved
    AFTER UPDATE ON analytics.behavior_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.requeue_moved_events();

ANALYZE analytics.behavior_log;
