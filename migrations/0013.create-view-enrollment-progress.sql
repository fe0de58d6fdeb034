-- Per enrollment: the course's lesson count, lessons started and completed, and whether the
-- whole course is done. One definition for the funnel, completion and at-risk queries.
-- depends: 0012.create-ops-seed-runs

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE VIEW learning.enrollment_progress AS
SELECT e.user_id,
       e.course_id,
       e.enrolled_at,
       coalesce(lc.lessons, 0) AS lessons,
       coalesce(p.started_lessons, 0) AS started_lessons,
       coalesce(p.completed_lessons, 0) AS completed_lessons,
       coalesce(lc.lessons, 0) > 0 AND coalesce(p.completed_lessons, 0) = lc.lessons AS completed
FROM learning.enrollments AS e
LEFT JOIN (
    SELECT course_id, count(*) AS lessons
    FROM learning.lessons
    GROUP BY course_id
) AS lc ON lc.course_id = e.course_id
LEFT JOIN (
    SELECT user_id,
           course_id,
           count(*) FILTER (WHERE status <> 'NOT_STARTED') AS started_lessons,
           count(*) FILTER (WHERE status = 'COMPLETED') AS completed_lessons
    FROM learning.user_progress
    GROUP BY user_id, course_id
) AS p ON p.user_id = e.user_id AND p.course_id = e.course_id;
