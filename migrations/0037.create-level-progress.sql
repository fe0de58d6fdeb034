-- course_completion_by_level from three rows, not one per course: analytics.level_progress
-- holds, per course level and published flag, the courses and the sums of their
-- course_progress (enrollments, completed). The query read every course and its progress row,
-- so it grew with the catalogue (2,000 courses on `huge` to 500 on `scale`: p95 2.5x).
-- Kept exact in the writing transaction, as 0028's rollups of rollups are:
--   * course_progress's statement triggers move the sums of the changed courses' level rows
--     (a course_progress row of a course that no longer exists moves nothing);
--   * learning.courses' statement triggers add a new course, with any progress it already
--     has, and move a course whose level or published flag changed;
--   * a course about to be deleted leaves its level row with everything it held, in a BEFORE
--     ROW trigger: it fires before the delete cascades to the course's enrollments, whose
--     refresh then finds no course and moves nothing (an AFTER trigger would meet a
--     course_progress already emptied by the cascade, and leave the course's enrollments in).
-- `vedb refresh --full` (analytics.rebuild_rollups) fills it again from its sources.
-- depends: 0036.order-student-rollups-by-student

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE TABLE IF NOT EXISTS analytics.level_progress (
    level text NOT NULL,
    is_published boolean NOT NULL,
    courses bigint NOT NULL,
    enrollments bigint NOT NULL,
    completed bigint NOT NULL,
    CONSTRAINT level_progress_pkey PRIMARY KEY (level, is_published)
);

-- The upsert that adds signed (level, is_published, courses, enrollments, completed) rows,
-- given as SQL for a FROM clause, to the level rows. The trigger functions EXECUTE it
-- themselves: a trigger's transition tables are visible to its own statements only, not to a
-- function it calls.
CREATE OR REPLACE FUNCTION analytics.level_progress_upsert(changes text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN format($sql$
    INSERT INTO analytics.level_progress AS t
        (level, is_published, courses, enrollments, completed)
    SELECT level, is_published, sum(courses), sum(enrollments), sum(completed)
    FROM %s AS c
    GROUP BY 1, 2
    HAVING sum(courses) <> 0 OR sum(enrollments) <> 0 OR sum(completed) <> 0
    ORDER BY 1, 2
    ON CONFLICT (level, is_published) DO UPDATE
    SET courses = t.courses + EXCLUDED.courses,
        enrollments = t.enrollments + EXCLUDED.enrollments,
        completed = t.completed + EXCLUDED.completed
    $sql$, changes);

CREATE OR REPLACE FUNCTION analytics.level_progress_from_course_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE analytics.level_progress SET enrollments = 0, completed = 0;
        RETURN NULL;
    END IF;
    EXECUTE analytics.level_progress_upsert(format(
        '(SELECT c.level, c.is_published, 0 AS courses, p.sign * p.enrollments AS enrollments,'
        ' p.sign * p.completed AS completed FROM %s AS p'
        ' JOIN learning.courses AS c ON c.id = p.course_id)',
        analytics.signed_changes(TG_OP, 'course_id, enrollments, completed')));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.level_progress_from_courses() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE analytics.level_progress_upsert(format(
        '(SELECT c.level, c.is_published, c.sign AS courses,'
        ' c.sign * coalesce(p.enrollments, 0) AS enrollments,'
        ' c.sign * coalesce(p.completed, 0) AS completed FROM %s AS c'
        ' LEFT JOIN analytics.course_progress AS p ON p.course_id = c.id)',
        analytics.signed_changes(TG_OP, 'id, level, is_published')));
    DELETE FROM analytics.level_progress WHERE courses = 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION analytics.level_progress_course_leaving() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE analytics.level_progress AS t
    SET courses = t.courses - 1,
        enrollments = t.enrollments - coalesce(p.enrollments, 0),
        completed = t.completed - coalesce(p.completed, 0)
    FROM (SELECT) AS one
    LEFT JOIN analytics.course_progress AS p ON p.course_id = OLD.id
    WHERE t.level = OLD.level AND t.is_published = OLD.is_published;
    DELETE FROM analytics.level_progress WHERE courses = 0;
    RETURN OLD;
END
$$;

CREATE OR REPLACE TRIGGER level_progress_on_insert AFTER INSERT ON analytics.course_progress
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics.level_progress_from_course_progress();
CREATE OR REPLACE TRIGGER level_progress_on_update AFTER UPDATE ON analytics.course_progress
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics.level_progress_from_course_progress();
CREATE OR REPLACE TRIGGER level_progress_on_delete AFTER DELETE ON analytics.course_progress
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics.level_progress_from_course_progress();
CREATE OR REPLACE TRIGGER level_progress_on_truncate AFTER TRUNCATE ON analytics.course_progress
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.level_progress_from_course_progress();

CREATE OR REPLACE TRIGGER level_progress_on_insert AFTER INSERT ON learning.courses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics.level_progress_from_courses();
CREATE OR REPLACE TRIGGER level_progress_on_update AFTER UPDATE ON learning.courses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics.level_progress_from_courses();
CREATE OR REPLACE TRIGGER level_progress_on_delete BEFORE DELETE ON learning.courses
    FOR EACH ROW EXECUTE FUNCTION analytics.level_progress_course_leaving();

CREATE OR REPLACE FUNCTION analytics.rebuild_level_progress() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics.lock_rollups();
    TRUNCATE analytics.level_progress;
    INSERT INTO analytics.level_progress (level, is_published, courses, enrollments, completed)
    SELECT c.level, c.is_published, count(*), coalesce(sum(p.enrollments), 0),
           coalesce(sum(p.completed), 0)
    FROM learning.courses AS c
    LEFT JOIN analytics.course_progress AS p ON p.course_id = c.id
    GROUP BY 1, 2;
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
    PERFORM analytics.rebuild_level_progress();
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
            analytics.cohort_sizes,
            analytics.level_progress;
END
$$;
REVOKE ALL ON FUNCTION analytics.rebuild_rollups() FROM PUBLIC;

-- The first fill, from the sources as they are.
SELECT analytics.rebuild_level_progress();
ANALYZE analytics.level_progress;
