-- name: learning_funnel
-- Enrolled, started (a lesson begun), halfway (half the lessons done), completed: one course or all.
-- version: 1
-- params: course_id int? 1.. = null
-- cache_ttl: 600
WITH lesson_counts AS (
    SELECT course_id, count(*) AS lessons
    FROM learning.lessons
    GROUP BY course_id
),
per_enrollment AS (
    SELECT e.user_id,
           coalesce(max(lc.lessons), 0) AS lessons,
           count(p.id) AS started_lessons,
           count(p.id) FILTER (WHERE p.status = 'COMPLETED') AS completed_lessons
    FROM learning.enrollments AS e
    LEFT JOIN lesson_counts AS lc ON lc.course_id = e.course_id
    LEFT JOIN learning.user_progress AS p
        ON p.user_id = e.user_id AND p.course_id = e.course_id AND p.status <> 'NOT_STARTED'
    WHERE (CAST(:course_id AS bigint) IS NULL OR e.course_id = :course_id)
    GROUP BY e.user_id, e.course_id
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
