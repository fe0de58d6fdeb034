-- Rollups: pre-aggregated tables the analytics queries read instead of scanning the event log
-- and the progress tables. They are kept current by triggers (migration 0017) and rebuilt by
-- `vedb refresh --full` (analytics.rebuild_rollups()). Days are UTC days.
-- depends: 0015.create-index-behavior-client-event

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- Who was active on which UTC day: the membership behind every distinct-student count.
CREATE TABLE IF NOT EXISTS analytics.user_day_activity (
    user_id bigint NOT NULL,
    day date NOT NULL,
    events bigint NOT NULL,
    CONSTRAINT user_day_activity_pkey PRIMARY KEY (user_id, day)
) WITH (fillfactor = 80);

-- Distinct active students per UTC day, and over the 30 days ending that day.
CREATE TABLE IF NOT EXISTS analytics.active_students_by_day (
    day date PRIMARY KEY,
    active_students bigint NOT NULL DEFAULT 0,
    active_students_30d bigint NOT NULL DEFAULT 0
);

-- Distinct active students per UTC calendar month (the first day of the month).
CREATE TABLE IF NOT EXISTS analytics.active_students_by_month (
    month date PRIMARY KEY,
    active_students bigint NOT NULL DEFAULT 0
);

-- Signup cohort (UTC week from Monday) x weeks since signup: distinct active students.
CREATE TABLE IF NOT EXISTS analytics.cohort_week_activity (
    cohort_week date NOT NULL,
    week_number bigint NOT NULL,
    active_students bigint NOT NULL DEFAULT 0,
    CONSTRAINT cohort_week_activity_pkey PRIMARY KEY (cohort_week, week_number)
);

-- The slots of the per-user counters: event types in the order of the behavior_log CHECK,
-- levels easiest first. Changing either order needs a migration that rebuilds the rollups.
CREATE OR REPLACE FUNCTION analytics.event_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['LOGIN', 'LOGOUT', 'COURSE_VIEW', 'COURSE_ENROLL', 'LESSON_START',
             'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE',
             'ACHIEVEMENT_EARNED', 'POINTS_EARNED'];

CREATE OR REPLACE FUNCTION analytics.levels() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED'];

-- How often each slot 1..slots occurs in positions: a counter array. PL/pgSQL, because its
-- in-place array updates make this one pass (the SQL versions join a series per call).
CREATE OR REPLACE FUNCTION analytics.histogram(positions integer[], slots integer)
RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    counts bigint[] := array_fill(0::bigint, ARRAY[slots]);
    slot integer;
BEGIN
    FOREACH slot IN ARRAY positions LOOP
        counts[slot] := counts[slot] + 1;
    END LOOP;
    RETURN counts;
END
$$;

-- Two counter arrays of the same length, added slot by slot.
CREATE OR REPLACE FUNCTION analytics.add_counts(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    FOR i IN 1 .. cardinality(a) LOOP
        a[i] := a[i] + b[i];
    END LOOP;
    RETURN a;
END
$$;

-- Sessions per user: first and last event.
CREATE TABLE IF NOT EXISTS analytics.user_sessions (
    user_id bigint NOT NULL,
    session_id uuid NOT NULL,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL,
    CONSTRAINT user_sessions_pkey PRIMARY KEY (user_id, session_id)
) WITH (fillfactor = 80);

-- Per course: each learner's events and last activity, and events per UTC day.
CREATE TABLE IF NOT EXISTS analytics.course_learners (
    course_id bigint NOT NULL,
    user_id bigint NOT NULL,
    events bigint NOT NULL,
    last_active_day date NOT NULL,  -- the windows are whole UTC days
    CONSTRAINT course_learners_pkey PRIMARY KEY (course_id, user_id)
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS analytics.course_day_activity (
    course_id bigint NOT NULL,
    day date NOT NULL,
    events bigint NOT NULL,
    CONSTRAINT course_day_activity_pkey PRIMARY KEY (course_id, day)
) WITH (fillfactor = 80);

-- Per lesson and learner: LESSON_START and LESSON_COMPLETE events, and all events.
CREATE TABLE IF NOT EXISTS analytics.lesson_learners (
    lesson_id bigint NOT NULL,
    user_id bigint NOT NULL,
    starts bigint NOT NULL,
    completes bigint NOT NULL,
    events bigint NOT NULL,
    CONSTRAINT lesson_learners_pkey PRIMARY KEY (lesson_id, user_id)
) WITH (fillfactor = 80);

-- Per course and per lesson: distinct learners and events, for course_engagement_metrics.
CREATE TABLE IF NOT EXISTS analytics.course_activity (
    course_id bigint PRIMARY KEY,
    learners bigint NOT NULL,
    events bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS analytics.lesson_activity (
    lesson_id bigint PRIMARY KEY,
    learners_started bigint NOT NULL,
    learners_completed bigint NOT NULL,
    events bigint NOT NULL
);

-- Per user: events, counted by UTC hour, ISO weekday, type (analytics.event_types()) and,
-- for lesson events, by course level (analytics.levels()); sessions, and the sum over
-- sessions of their length in minutes. One row, so an event updates one row per user.
CREATE TABLE IF NOT EXISTS analytics.user_activity (
    user_id bigint PRIMARY KEY,
    events bigint NOT NULL,
    events_by_hour bigint[] NOT NULL,
    events_by_weekday bigint[] NOT NULL,
    events_by_type bigint[] NOT NULL,
    lesson_events_by_level bigint[] NOT NULL,
    sessions bigint NOT NULL,
    session_minutes numeric NOT NULL
) WITH (fillfactor = 80);

-- Per enrollment, from its course's lessons and its progress rows.
CREATE TABLE IF NOT EXISTS analytics.enrollment_summary (
    user_id bigint NOT NULL,
    course_id bigint NOT NULL,
    enrolled_at timestamptz NOT NULL,
    lessons bigint NOT NULL,
    started_lessons bigint NOT NULL,
    completed_lessons bigint NOT NULL,
    furthest_position bigint,  -- of the lessons begun; NULL before the first
    CONSTRAINT enrollment_summary_pkey PRIMARY KEY (user_id, course_id)
);

-- Per lesson: progress rows begun and completed; per course and position: learners whose
-- furthest lesson it is without having finished the course. For lesson_dropoff.
CREATE TABLE IF NOT EXISTS analytics.lesson_progress (
    lesson_id bigint PRIMARY KEY,
    started bigint NOT NULL,
    completed bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS analytics.course_stops (
    course_id bigint NOT NULL,
    position bigint NOT NULL,
    learners bigint NOT NULL,
    CONSTRAINT course_stops_pkey PRIMARY KEY (course_id, position)
);

-- Per course, from enrollments and progress: the funnel's four stages.
CREATE TABLE IF NOT EXISTS analytics.course_progress (
    course_id bigint PRIMARY KEY,
    enrollments bigint NOT NULL,
    started bigint NOT NULL,
    halfway bigint NOT NULL,
    completed bigint NOT NULL
);

-- Per student (every user whose role is STUDENT): progress, gamification, last activity.
CREATE TABLE IF NOT EXISTS analytics.student_summary (
    user_id bigint PRIMARY KEY,
    enrolled_courses bigint NOT NULL,
    first_enrolled_at timestamptz,
    -- Mean over enrollments of completed / lessons (a course without lessons counts 0).
    avg_progress numeric,
    completed_courses bigint NOT NULL,
    completed_lessons bigint NOT NULL,
    gamified boolean NOT NULL,
    last_active_at timestamptz
) WITH (fillfactor = 80);

-- Writes the triggers cannot fold in incrementally (deleted or rewritten events, a changed
-- role): `vedb refresh` rebuilds the event rollups while this queue is not empty.
CREATE TABLE IF NOT EXISTS analytics.rollup_stale (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reason text NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- When the rollups were last rebuilt in full, and how long it took.
CREATE TABLE IF NOT EXISTS analytics.rollup_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT rollup_runs_kind_check CHECK (kind IN ('full', 'catch-up'))
);
