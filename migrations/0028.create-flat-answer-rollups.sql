-- Three rollups of rollups, so that no query reads a row per student:
--   analytics.student_groups       student_summary by (gamified, day of the last event):
--                                  gamification_effectiveness sums a few hundred rows;
--   analytics.course_learner_days  course_learners by (course, day of the learner's last
--                                  event): top_courses' active learners, 30 rows a course;
--   analytics.cohort_sizes         students by signup week: cohort_retention's cohort sizes.
-- Each is kept by statement triggers on its source, from the transition tables: the old rows
-- count -1, the new ones +1, and a change that nets to zero writes nothing. So every writer of
-- the source (the fold, the learning triggers, a rebuild, analytics.forget_user) keeps them
-- exact without knowing of them, in its own transaction. A TRUNCATE of the source (the
-- rebuilds) truncates them; the rebuild's INSERT then fills them again.
-- depends: 0027.create-forget-user

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '5min';

-- '-infinity' stands for "no event yet", so that the day can be part of the key.
CREATE TABLE IF NOT EXISTS analytics.student_groups (
    gamified boolean NOT NULL,
    last_active_day date NOT NULL,
    students bigint NOT NULL,
    enrollments bigint NOT NULL,
    completed_courses bigint NOT NULL,
    completed_lessons bigint NOT NULL,
    CONSTRAINT student_groups_pkey PRIMARY KEY (gamified, last_active_day)
);

CREATE TABLE IF NOT EXISTS analytics.course_learner_days (
    course_id bigint NOT NULL,
    last_active_day date NOT NULL,
    learners bigint NOT NULL,
    CONSTRAINT course_learner_days_pkey PRIMARY KEY (course_id, last_active_day)
);

CREATE TABLE IF NOT EXISTS analytics.cohort_sizes (
    cohort_week date PRIMARY KEY,
    students bigint NOT NULL
);

-- The changed rows of the firing statement, each with its sign: SQL for a FROM clause.
-- Dynamic SQL sees the trigger's transition tables; static SQL could not name old_rows in an
-- INSERT trigger.
CREATE OR REPLACE FUNCTION analytics.signed_changes(operation text, columns text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE operation
    WHEN 'INSERT' THEN format('(SELECT %s, 1 AS sign FROM new_rows)', columns)
    WHEN 'DELETE' THEN format('(SELECT %s, -1 AS sign FROM old_rows)', columns)
    ELSE format('(SELECT %1$s, 1 AS sign FROM new_rows UNION ALL SELECT %1$s, -1 FROM old_rows)',
                columns)
END;

CREATE OR REPLACE FUNCTION analytics.student_groups_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE analytics.student_groups;
        RETURN NULL;
    END IF;
    EXECUTE format($sql$
        INSERT INTO analytics.student_groups AS t
            (gamified, last_active_day, students, enrollments, completed_courses, completed_lessons)
        SELECT gamified, day, sum(sign), sum(sign * enrolled_courses),
               sum(sign * completed_courses), sum(sign * completed_lessons)
        FROM %s AS c
        GROUP BY 1, 2
        HAVING sum(sign) <> 0 OR sum(sign * enrolled_courses) <> 0
            OR sum(sign * completed_courses) <> 0 OR sum(sign * completed_lessons) <> 0
        ORDER BY 1, 2
        ON CONFLICT (gamified, last_active_day) DO UPDATE
        SET students = t.students + EXCLUDED.students,
            enrollments = t.enrollments + EXCLUDED.enrollments,
            completed_courses = t.completed_courses + EXCLUDED.completed_courses,
            completed_lessons = t.completed_lessons + EXCLUDED.completed_lessons
        $sql$, analytics.signed_changes(TG_OP,
            'gamified, coalesce((last_active_at AT TIME ZONE ''UTC'')::date, ''-infinity'') AS day,'
            ' enrolled_courses, completed_courses, completed_lessons'));
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM analytics.student_groups WHERE students = 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.course_learner_days_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE analytics.course_learner_days;
        RETURN NULL;
    END IF;
    EXECUTE format($sql$
        INSERT INTO analytics.course_learner_days AS t (course_id, last_active_day, learners)
        SELECT course_id, last_active_day, sum(sign)
        FROM %s AS c
        GROUP BY 1, 2
        HAVING sum(sign) <> 0
        ORDER BY 1, 2
        ON CONFLICT (course_id, last_active_day) DO UPDATE SET learners = t.learners + EXCLUDED.learners
        $sql$, analytics.signed_changes(TG_OP, 'course_id, last_active_day'));
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM analytics.course_learner_days AS t
        USING old_rows AS o
        WHERE t.course_id = o.course_id AND t.last_active_day = o.last_active_day
          AND t.learners = 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.cohort_sizes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($sql$
        INSERT INTO analytics.cohort_sizes AS t (cohort_week, students)
        SELECT cohort_week, sum(sign)
        FROM %s AS c
        WHERE role = 'STUDENT'
        GROUP BY 1
        HAVING sum(sign) <> 0
        ORDER BY 1
        ON CONFLICT (cohort_week) DO UPDATE SET students = t.students + EXCLUDED.students
        $sql$, analytics.signed_changes(TG_OP,
            'role, date_trunc(''week'', created_at AT TIME ZONE ''UTC'')::date AS cohort_week'));
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM analytics.cohort_sizes WHERE students = 0;
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT * FROM (VALUES ('analytics.student_summary', 'student_groups'),
                              ('analytics.course_learners', 'course_learner_days'),
                              ('learning.users', 'cohort_sizes')) AS t (source, rollup)
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %2$s_on_insert AFTER INSERT ON %1$s '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION analytics.%2$s_changed()', target.source, target.rollup);
        EXECUTE format('CREATE OR REPLACE TRIGGER %2$s_on_update AFTER UPDATE ON %1$s '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION analytics.%2$s_changed()',
                       target.source, target.rollup);
        EXECUTE format('CREATE OR REPLACE TRIGGER %2$s_on_delete AFTER DELETE ON %1$s '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION analytics.%2$s_changed()', target.source, target.rollup);
    END LOOP;
END
$$;
-- learning.users is never truncated (foreign keys point at it); the rollups' sources are.
CREATE OR REPLACE TRIGGER student_groups_on_truncate AFTER TRUNCATE ON analytics.student_summary
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.student_groups_changed();
CREATE OR REPLACE TRIGGER course_learner_days_on_truncate AFTER TRUNCATE ON analytics.course_learners
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.course_learner_days_changed();

-- `vedb refresh --full` repairs cohort_sizes too (the other two follow their sources).
CREATE OR REPLACE FUNCTION analytics.rebuild_cohort_sizes() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.cohort_sizes;
    INSERT INTO analytics.cohort_sizes (cohort_week, students)
    SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date, count(*)
    FROM learning.users
    WHERE role = 'STUDENT'
    GROUP BY 1;
END
$$;

CREATE OR REPLACE FUNCTION analytics.rebuild_rollups() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM analytics.rebuild_learning_rollups();
    PERFORM analytics.rebuild_event_rollups();
    PERFORM analytics.rebuild_cohort_sizes();
    INSERT INTO analytics.rollup_runs (kind, started_at) VALUES ('full', started);
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
            analytics.student_groups,
            analytics.cohort_sizes;
END
$$;
REVOKE ALL ON FUNCTION analytics.rebuild_rollups() FROM PUBLIC;

-- The first fill, from the sources as they are.
SET LOCAL work_mem = '256MB';
SELECT analytics.lock_rollups();
TRUNCATE analytics.student_groups, analytics.course_learner_days;
INSERT INTO analytics.student_groups
    (gamified, last_active_day, students, enrollments, completed_courses, completed_lessons)
SELECT gamified, coalesce((last_active_at AT TIME ZONE 'UTC')::date, '-infinity'),
       count(*), sum(enrolled_courses), sum(completed_courses), sum(completed_lessons)
FROM analytics.student_summary
GROUP BY 1, 2;
INSERT INTO analytics.course_learner_days (course_id, last_active_day, learners)
SELECT course_id, last_active_day, count(*)
FROM analytics.course_learners
GROUP BY 1, 2;
SELECT analytics.rebuild_cohort_sizes();
ANALYZE analytics.student_groups, analytics.course_learner_days, analytics.cohort_sizes;
