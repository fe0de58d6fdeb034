-- A faster full rebuild of the event rollups (`vedb refresh --full`, the seed's last step),
-- with the same rows. Measured on `scale` (12M events) on a `vedb tune` 4 GB server, most of
-- 0017's 119 s went to inserting millions of rows into the rollups' btrees in hash order, to
-- hash aggregates spilling at the server's 5 MB work_mem, and to one array per student of
-- every event's hour, weekday, type and level, looped over in PL/pgSQL.
--   analytics.drop_indexes(tables)   drops the tables' indexes and index-backed constraints
--                                    and returns the statements that make them again;
--   analytics.run_statements(ddl)    runs those statements: each index is then built once,
--                                    sorted, after its table is filled;
--   analytics.weighted_histogram()   the histogram of (slot, count) pairs, so user_activity
--                                    is built from per-student counts by hour, by type and by
--                                    level (one small aggregate each), and weekdays from
--                                    user_day_activity;
--   analytics.rebuild_event_rollups_from_log() runs with work_mem 256MB.
-- analytics.rebuild_event_rollups() (0032) no longer holds new events back with a SHARE lock
-- when its transaction reads one snapshot (REPEATABLE READ, as `vedb refresh --full` runs
-- it): events committed after that snapshot stay queued, and are folded once it commits.
-- depends: 0032.create-event-retention

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.drop_indexes(tables regclass[]) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    remake text[];
    drops text[];
    statement text;
BEGIN
    -- Constraints first, then the other indexes; an index some other object depends on (a
    -- foreign key pointing at the table) makes the DROP fail rather than vanish with it.
    SELECT coalesce(array_agg(format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass,
                                     c.conname, pg_get_constraintdef(c.oid)) ORDER BY c.oid), '{}'),
           coalesce(array_agg(format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass,
                                     c.conname) ORDER BY c.oid), '{}')
    INTO remake, drops
    FROM pg_catalog.pg_constraint AS c
    WHERE c.conrelid = ANY (tables) AND c.conindid <> 0 AND c.contype IN ('p', 'u', 'x');
    SELECT remake || coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid), '{}'),
           drops || coalesce(array_agg(format('DROP INDEX %s', i.indexrelid::regclass)
                                       ORDER BY i.indexrelid), '{}')
    INTO remake, drops
    FROM pg_catalog.pg_index AS i
    WHERE i.indrelid = ANY (tables)
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint AS c WHERE c.conindid = i.indexrelid
                                                              AND c.conrelid = i.indrelid);
    FOREACH statement IN ARRAY drops LOOP
        EXECUTE statement;
    END LOOP;
    RETURN remake;
END
$$;
REVOKE ALL ON FUNCTION analytics.drop_indexes(regclass[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION analytics.run_statements(statements text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    statement text;
BEGIN
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.run_statements(text[]) FROM PUBLIC;

-- counts[slot] summed over the pairs (slots[i], weights[i]); a NULL slot counts nowhere.
CREATE OR REPLACE FUNCTION analytics.weighted_histogram(
    slots integer[], weights bigint[], size integer
) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    counts bigint[] := array_fill(0::bigint, ARRAY[size]);
BEGIN
    FOR i IN 1 .. coalesce(array_length(slots, 1), 0) LOOP
        IF slots[i] IS NOT NULL THEN
            counts[slots[i]] := counts[slots[i]] + weights[i];
        END IF;
    END LOOP;
    RETURN counts;
END
$$;

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

-- 0032's, holding new events back only when its statements would each see a new snapshot.
CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := (SELECT r.horizon FROM analytics.event_retention AS r);
BEGIN
    IF horizon IS NOT NULL
       AND coalesce(current_setting('vedb.discard_dropped_history', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the event rollups cannot be rebuilt without losing history: the log '
                        'holds no event before % (retention dropped those months)', horizon
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'vedb refresh --full --discard-dropped-history rebuilds them from the '
                         'months kept; answers about earlier months then count nothing.';
    END IF;
    -- In one snapshot the log and the queue are read as of the same moment: what commits
    -- later is neither rebuilt nor dequeued here, and folds after.
    IF current_setting('transaction_isolation') = 'read committed' THEN
        LOCK TABLE analytics.behavior_log IN SHARE MODE;
    END IF;
    DELETE FROM analytics.event_queue;
    PERFORM analytics.rebuild_event_rollups_from_log();
END
$$;

-- The rollups' lock (0017's lock_rollups) for a whole session: `vedb refresh --full` takes
-- it before its snapshot, so no fold can commit between the snapshot and the rebuild.
CREATE OR REPLACE FUNCTION analytics.hold_rollups() RETURNS void
LANGUAGE sql VOLATILE
RETURN pg_advisory_lock(7365, 1);

CREATE OR REPLACE FUNCTION analytics.release_rollups() RETURNS boolean
LANGUAGE sql VOLATILE
RETURN pg_advisory_unlock(7365, 1);
