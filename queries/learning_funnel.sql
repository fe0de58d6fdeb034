-- name: learning_funnel
-- Enrolled, started (a lesson begun), halfway (half the lessons done), completed: one course or all.
-- version: 2
-- params: course_id int? 1.. = null
-- cache_ttl: 600
-- reads: analytics.course_progress
WITH totals AS (
    SELECT coalesce(sum(enrollments), 0)::bigint AS enrolled,
           coalesce(sum(started), 0)::bigint AS started,
           coalesce(sum(halfway), 0)::bigint AS halfway,
           coalesce(sum(completed), 0)::bigint AS completed
    FROM analytics.course_progress
    WHERE (CAST(:course_id AS bigint) IS NULL OR course_id = :course_id)
),
stages AS (
    SELECT 1 AS position, 'enrolled' AS stage, enrolled AS learners FROM totals
    UNION ALL
    SELECT 2, 'started', started FROM totals
    UNION ALL
    SELECT 3, 'halfway', halfway FROM totals
    UNION ALL
    SELECT 4, 'completed', completed FROM totals
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
