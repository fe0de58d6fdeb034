-- name: learning_funnel
-- Enrolled, started (a lesson begun), halfway (half the lessons done), completed: one course or all.
-- version: 2
-- params: course_id int? 1.. = null
-- cache_ttl: 600
-- reads: learning.enrollment_progress
WITH per_enrollment AS (
    SELECT lessons, started_lessons, completed_lessons
    FROM learning.enrollment_progress
    WHERE (CAST(:course_id AS bigint) IS NULL OR course_id = :course_id)
),
stages AS (
    SELECT 1 AS position, 'enrolled' AS stage, count(*) AS learners FROM per_enrollment
    UNION ALL
    SELECT 2, 'started', count(*) FILTER (WHERE started_lessons > 0) FROM per_enrollment
    UNION ALL
    SELECT 3, 'halfway', count(*) FILTER (WHERE lessons > 0 AND completed_lessons * 2 >= lessons)
    FROM per_enrollment
    UNION ALL
    SELECT 4, 'completed', count(*) FILTER (WHERE lessons > 0 AND completed_lessons = lessons)
    FROM per_enrollment
)
SELECT position,
       stage,
       learners,
       round(learners::numeric / NULLIF(lag(learners) OVER (ORDER BY position), 0), 4)::float8
           AS rate_from_previous,
       round(learners::numeric / NULLIF(first_value(learners) OVER (ORDER BY position), 0), 4)::float8
           AS rate_from_enrolled
FROM stages
ORDER BY position
